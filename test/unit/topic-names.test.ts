import { describe, expect, it } from 'vitest';
import {
  MAX_TOPIC_LENGTH,
  isBrokerTopic,
  topicNameError,
  topicPatternError,
} from '../../broker/protocol/topic-names.js';

describe('topicNameError [protocol 3.1]', () => {
  it.each(['a', 'orders/eu/created', '$sys/clients', 'a b/c', 'ünï/😀', 'x'.repeat(MAX_TOPIC_LENGTH)])(
    'accepts %j',
    (name) => {
      expect(topicNameError(name)).toBeUndefined();
    },
  );

  it.each([
    ['', /empty/],
    ['a//b', /empty level/],
    ['/a', /empty level/],
    ['a/', /empty level/],
    ['/', /empty level/],
    ['a/+/b', /wildcard/],
    ['a/#', /wildcard/],
    ['a+b', /wildcard/],
    ['a\u0000b', /control character at 1/],
    ['a\nb', /control character/],
    ['a\u001fb', /control character/],
    ['a\u007fb', /control character/],
    ['x'.repeat(MAX_TOPIC_LENGTH + 1), /longer than/],
  ])('rejects %j', (name, reason) => {
    expect(topicNameError(name)).toMatch(reason);
  });

  it.each([undefined, null, 42, {}, ['a'], Symbol('a')])('rejects the non-string %s', (value) => {
    expect(topicNameError(value)).toBe('topic must be a string');
  });
});

describe('topicPatternError [protocol 3.1]', () => {
  it.each(['a', 'a/b/c', '+', '#', 'a/+', '+/+/#', 'a/#', '$sys/#', '+/b/+', 'x'.repeat(MAX_TOPIC_LENGTH)])(
    'accepts %j',
    (pattern) => {
      expect(topicPatternError(pattern)).toBeUndefined();
    },
  );

  it.each([
    ['', /empty/],
    ['a//b', /empty level/],
    ['a/', /empty level/],
    ['/#', /empty level/],
    ['a/#/b', /'#' must be the last level/],
    ['#/a', /'#' must be the last level/],
    ['a+', /whole level/],
    ['+a/b', /whole level/],
    ['a/b#', /whole level/],
    ['##', /whole level/],
    ['a/++', /whole level/],
    ['a/\tb', /control character/],
    ['x'.repeat(MAX_TOPIC_LENGTH + 1), /longer than/],
  ])('rejects %j', (pattern, reason) => {
    expect(topicPatternError(pattern)).toMatch(reason);
  });

  it.each([undefined, null, 0, true, {}, ['#']])('rejects the non-string %s', (value) => {
    expect(topicPatternError(value)).toBe('pattern must be a string');
  });
});

describe('isBrokerTopic', () => {
  it('is true only when the first level starts with $', () => {
    expect(isBrokerTopic('$sys/x')).toBe(true);
    expect(isBrokerTopic('$inbox')).toBe(true);
    expect(isBrokerTopic('a/$sys')).toBe(false);
    expect(isBrokerTopic('sys')).toBe(false);
  });
});
