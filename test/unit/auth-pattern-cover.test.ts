import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { patternCovers } from '../../broker/auth/index.js';
import { topicPatternError } from '../../broker/protocol/index.js';
import { patternMatches } from '../../broker/topics/index.js';

describe('patternCovers examples [protocol 3.2]', () => {
  it('a/# covers what is under a, and a itself', () => {
    for (const pattern of ['a/+', 'a', 'a/b/#', 'a/#', 'a/+/c', 'a/$x']) expect(patternCovers('a/#', pattern), pattern).toBe(true);
    for (const pattern of ['#', '+', 'b', '+/#', 'ab/#']) expect(patternCovers('a/#', pattern), pattern).toBe(false);
  });

  it('+ covers any one level, but not more or fewer', () => {
    expect(patternCovers('+/b', 'x/b')).toBe(true);
    expect(patternCovers('+/b', '+/b')).toBe(true);
    expect(patternCovers('+/b', 'x/+')).toBe(false);
    expect(patternCovers('a/+', 'a/#')).toBe(false);
    expect(patternCovers('a/+', 'a/b/c')).toBe(false);
    expect(patternCovers('a/+', 'a')).toBe(false);
  });

  it('a literal covers only itself', () => {
    expect(patternCovers('a/b', 'a/b')).toBe(true);
    expect(patternCovers('a/b', 'a/+')).toBe(false);
    expect(patternCovers('a/b', 'a/b/#')).toBe(false);
    expect(patternCovers('a', 'a/#')).toBe(false);
  });

  it('keeps broker topics out of a leading wildcard', () => {
    expect(patternCovers('#', '$sys/x')).toBe(false);
    expect(patternCovers('#', '$sys/#')).toBe(false);
    expect(patternCovers('+/#', '$sys')).toBe(false);
    expect(patternCovers('+/x', '$sys/x')).toBe(false);
    expect(patternCovers('$sys/#', '$sys/x')).toBe(true);
    // A leading wildcard in the pattern never matches broker topics either.
    expect(patternCovers('#', '+/x')).toBe(true);
    expect(patternCovers('#', '#')).toBe(true);
    // A topic has at least one level, so a leading # and +/# match the same topics.
    expect(patternCovers('+/#', '#')).toBe(true);
    expect(patternCovers('+/+/#', '#')).toBe(false);
  });
});

// A small alphabet makes overlaps likely; '$s' exercises the broker-topic rule.
const LEVELS = ['a', 'b', '$s'];
const patterns = fc
  .tuple(fc.array(fc.constantFrom(...LEVELS, '+'), { maxLength: 3 }), fc.boolean())
  .map(([levels, hasHash]) => (hasHash || levels.length === 0 ? [...levels, '#'] : levels).join('/'));
const topics = fc.array(fc.constantFrom(...LEVELS, 'z'), { minLength: 1, maxLength: 5 }).map((levels) => levels.join('/'));

/**
 * Every topic over LEVELS plus one fresh level 'z', up to 5 levels. For
 * patterns of at most 4 levels over LEVELS, any topic that one matches and
 * the other does not has a counterpart here: replace each level outside
 * LEVELS by 'z' and keep at most one level past the longer pattern.
 */
const ALL_TOPICS: string[] = (() => {
  const out: string[] = [];
  let layer = [''];
  for (let depth = 1; depth <= 5; depth++) {
    layer = layer.flatMap((prefix) => [...LEVELS, 'z'].map((level) => (prefix === '' ? level : `${prefix}/${level}`)));
    out.push(...layer);
  }
  return out;
})();

/** Every pattern over LEVELS and `+` of up to 3 levels, with or without a final `#`. */
const ALL_PATTERNS: string[] = (() => {
  const out: string[] = ['#'];
  let layer: string[][] = [[]];
  for (let depth = 1; depth <= 3; depth++) {
    layer = layer.flatMap((prefix) => [...LEVELS, '+'].map((level) => [...prefix, level]));
    for (const levels of layer) out.push(levels.join('/'), [...levels, '#'].join('/'));
  }
  return out;
})();

describe('patternCovers properties', () => {
  it('generates only valid patterns', () => {
    fc.assert(fc.property(patterns, (p) => {
      expect(topicPatternError(p)).toBeUndefined();
    }));
  });

  it('is sound: a topic the pattern matches is matched by a covering grant', () => {
    fc.assert(fc.property(patterns, patterns, topics, (grant, pattern, topic) => {
      if (patternCovers(grant, pattern) && patternMatches(pattern, topic)) expect(patternMatches(grant, topic)).toBe(true);
    }), { numRuns: 5000 });
  });

  it('is exact: over every pair of small patterns, covers exactly when no topic tells them apart', () => {
    const matchSets = new Map(ALL_PATTERNS.map((p) => [p, ALL_TOPICS.map((t) => patternMatches(p, t))]));
    const wrong: string[] = [];
    let covering = 0;
    for (const [grant, grantMatches] of matchSets) {
      for (const [pattern, patternMatchesTopic] of matchSets) {
        const isCoveredEverywhere = patternMatchesTopic.every((m, t) => !m || grantMatches[t]);
        if (patternCovers(grant, pattern) !== isCoveredEverywhere) wrong.push(`${grant} covers ${pattern}: ${isCoveredEverywhere}`);
        if (isCoveredEverywhere) covering++;
      }
    }
    expect(wrong).toEqual([]);
    // Sanity: the search space has both outcomes in quantity.
    expect(covering).toBeGreaterThan(ALL_PATTERNS.length);
    expect(covering).toBeLessThan(ALL_PATTERNS.length ** 2 / 2);
  });

  it('is reflexive and transitive', () => {
    fc.assert(fc.property(patterns, patterns, patterns, (a, b, c) => {
      expect(patternCovers(a, a)).toBe(true);
      if (patternCovers(a, b) && patternCovers(b, c)) expect(patternCovers(a, c)).toBe(true);
    }), { numRuns: 2000 });
  });

  it('on a topic name, is the same as matching it', () => {
    fc.assert(fc.property(patterns, topics, (grant, topic) => {
      expect(patternCovers(grant, topic)).toBe(patternMatches(grant, topic));
    }), { numRuns: 2000 });
  });
});
