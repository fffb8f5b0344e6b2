import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TopicTrie, patternMatches } from '../../broker/topics/index.js';

function matched<T>(trie: TopicTrie<T>, topic: string): T[] {
  const out: T[] = [];
  trie.match(topic, out);
  return out;
}

function trieOf(patterns: string[]): TopicTrie<string> {
  const trie = new TopicTrie<string>();
  for (const pattern of patterns) trie.add(pattern, pattern);
  return trie;
}

/** Which of `patterns` match `topic`, per the trie, sorted. */
function matchingPatterns(patterns: string[], topic: string): string[] {
  return matched(trieOf(patterns), topic).sort();
}

const sorted = <T>(values: T[]): T[] => [...values].sort();

describe('TopicTrie examples [protocol 3.1]', () => {
  it('matches literal patterns exactly', () => {
    const patterns = ['a', 'a/b', 'a/b/c', 'b/a'];
    expect(matchingPatterns(patterns, 'a/b')).toEqual(['a/b']);
    expect(matchingPatterns(patterns, 'a')).toEqual(['a']);
    expect(matchingPatterns(patterns, 'a/b/c/d')).toEqual([]);
  });

  it('matches + to exactly one level', () => {
    const patterns = ['+', 'a/+', '+/b', '+/+', 'a/+/c'];
    expect(matchingPatterns(patterns, 'a')).toEqual(['+']);
    expect(matchingPatterns(patterns, 'a/b')).toEqual(sorted(['a/+', '+/b', '+/+']));
    expect(matchingPatterns(patterns, 'a/x/c')).toEqual(['a/+/c']);
    expect(matchingPatterns(patterns, 'a/x/y/c')).toEqual([]);
  });

  it('matches a/# to a itself and everything below it', () => {
    const patterns = ['a/#'];
    expect(matchingPatterns(patterns, 'a')).toEqual(['a/#']);
    expect(matchingPatterns(patterns, 'a/b')).toEqual(['a/#']);
    expect(matchingPatterns(patterns, 'a/b/c')).toEqual(['a/#']);
    expect(matchingPatterns(patterns, 'b')).toEqual([]);
    expect(matchingPatterns(patterns, 'ab/c')).toEqual([]);
  });

  it('matches # to every ordinary topic', () => {
    for (const topic of ['a', 'a/b', 'x/y/z/w']) expect(matchingPatterns(['#'], topic)).toEqual(['#']);
  });

  it('combines + and #', () => {
    const patterns = ['+/b/#', 'a/+/#'];
    expect(matchingPatterns(patterns, 'a/b')).toEqual(sorted(patterns));
    expect(matchingPatterns(patterns, 'x/b/c/d')).toEqual(['+/b/#']);
    expect(matchingPatterns(patterns, 'a')).toEqual([]);
  });

  it('keeps broker topics away from a leading wildcard', () => {
    const patterns = ['#', '+', '+/x', '+/#', '$sys/#', '$sys/x', '$sys/+', '$inbox/+/1'];
    expect(matchingPatterns(patterns, '$sys/x')).toEqual(sorted(['$sys/#', '$sys/x', '$sys/+']));
    expect(matchingPatterns(patterns, '$sys')).toEqual(['$sys/#']);
    expect(matchingPatterns(patterns, '$inbox/abc/1')).toEqual(['$inbox/+/1']);
    expect(matchingPatterns(patterns, '$other')).toEqual([]);
  });

  it('applies the $ rule to the first level only', () => {
    expect(matchingPatterns(['a/+', 'a/#', '+/+'], 'a/$x')).toEqual(sorted(['a/+', 'a/#', '+/+']));
  });

  it('stores a repeated (pattern, value) pair once', () => {
    const trie = new TopicTrie<number>();
    trie.add('a/+', 1);
    trie.add('a/+', 1);
    expect(trie.size).toBe(1);
    expect(matched(trie, 'a/b')).toEqual([1]);
  });

  it('reports a value once per matching pattern', () => {
    const trie = new TopicTrie<number>();
    trie.add('a/b', 7);
    trie.add('a/+', 7);
    trie.add('#', 7);
    expect(trie.size).toBe(3);
    expect(matched(trie, 'a/b')).toEqual([7, 7, 7]);
  });

  it('appends to out instead of replacing it', () => {
    const trie = new TopicTrie<number>();
    trie.add('a', 2);
    const out = [1];
    trie.match('a', out);
    expect(out).toEqual([1, 2]);
  });

  it('removes registrations and prunes the nodes they leave empty', () => {
    const trie = new TopicTrie<number>();
    trie.add('a/b/c', 1);
    trie.add('a/+/#', 2);
    trie.add('a/b', 3);
    expect(trie.remove('a/b/c', 9)).toBe(false);
    expect(trie.remove('a/b/x', 1)).toBe(false);
    expect(trie.remove('a/#', 2)).toBe(false);
    expect(trie.remove('a/b/c', 1)).toBe(true);
    expect(trie.remove('a/b/c', 1)).toBe(false);
    expect(matched(trie, 'a/b/c')).toEqual([2]);
    expect(trie.remove('a/+/#', 2)).toBe(true);
    expect(trie.isEmpty).toBe(false);
    expect(trie.remove('a/b', 3)).toBe(true);
    expect(trie.size).toBe(0);
    expect(trie.isEmpty).toBe(true);
  });

  it('handles 100k values on one node', () => {
    const trie = new TopicTrie<number>();
    for (let i = 0; i < 100_000; i++) trie.add('hot/topic', i);
    expect(matched(trie, 'hot/topic')).toHaveLength(100_000);
    for (let i = 0; i < 100_000; i++) trie.remove('hot/topic', i);
    expect(trie.isEmpty).toBe(true);
  });
});

// Small alphabets so random patterns and topics collide often; `$x` and `$y`
// exercise the broker-topic rule at the first level and its absence below.
const topicLevel = fc.constantFrom('a', 'b', 'c', '$x', '$y');
const patternLevel = fc.constantFrom('a', 'b', '$x', '+', '+');
const topicArb = fc.array(topicLevel, { minLength: 1, maxLength: 4 }).map((levels) => levels.join('/'));
const patternArb = fc
  .tuple(fc.array(patternLevel, { minLength: 0, maxLength: 4 }), fc.boolean())
  .filter(([levels, hasHash]) => levels.length > 0 || hasHash)
  .map(([levels, hasHash]) => (hasHash ? [...levels, '#'] : levels).join('/'));
// Few distinct values, so one value often sits under several patterns.
const valueArb = fc.integer({ min: 0, max: 3 });
const registrationArb = fc.tuple(patternArb, valueArb);

type Registration = [pattern: string, value: number];

/** What match() should return: the model applied to every registration. */
function modelMatch(registrations: Iterable<Registration>, topic: string): number[] {
  const out: number[] = [];
  for (const [pattern, value] of registrations) if (patternMatches(pattern, topic)) out.push(value);
  return out.sort();
}

const key = ([pattern, value]: Registration): string => `${value} ${pattern}`;

describe('TopicTrie agrees with patternMatches', () => {
  it('for random patterns and topics', () => {
    fc.assert(
      fc.property(fc.array(registrationArb, { maxLength: 20 }), fc.array(topicArb, { minLength: 1, maxLength: 10 }), (regs, topics) => {
        const trie = new TopicTrie<number>();
        const model = new Map<string, Registration>();
        for (const reg of regs) {
          trie.add(...reg);
          model.set(key(reg), reg);
        }
        expect(trie.size).toBe(model.size);
        for (const topic of topics) expect(matched(trie, topic).sort()).toEqual(modelMatch(model.values(), topic));
      }),
      { numRuns: 500 },
    );
  });

  it('after random adds and removes, and is empty once everything is removed', () => {
    const opArb = fc.tuple(fc.boolean(), registrationArb);
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), fc.array(topicArb, { minLength: 1, maxLength: 10 }), (ops, topics) => {
        const trie = new TopicTrie<number>();
        const model = new Map<string, Registration>();
        for (const [isAdd, reg] of ops) {
          if (isAdd) {
            trie.add(...reg);
            model.set(key(reg), reg);
          } else {
            expect(trie.remove(...reg)).toBe(model.delete(key(reg)));
          }
          expect(trie.size).toBe(model.size);
        }
        for (const topic of topics) expect(matched(trie, topic).sort()).toEqual(modelMatch(model.values(), topic));
        for (const reg of model.values()) expect(trie.remove(...reg)).toBe(true);
        expect(trie.size).toBe(0);
        expect(trie.isEmpty).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
