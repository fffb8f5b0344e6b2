import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_ID, checkConsume, checkHello, checkPublish, checkRequestOnly, checkSend, checkSettle, checkSubscribe, checkUnsubscribe,
  requestIdOf,
} from '../../broker/protocol/index.js';

const bytes = new Uint8Array([0xa1, 0x61]);

describe('requestIdOf', () => {
  it.each([
    [[2, 7, 'a', bytes], 7],
    [[2, 0], 0],
    [[2, MAX_ID], MAX_ID],
    [[2, MAX_ID + 1], 0],
    [[2, -1], 0],
    [[2, 1.5], 0],
    [[2, '7'], 0],
    [[2], 0],
    [{ 1: 7 }, 0],
    ['x', 0],
    [null, 0],
  ])('of %j is %i', (op, id) => {
    expect(requestIdOf(op)).toBe(id);
  });
});

describe('checkHello [protocol 2.1]', () => {
  it.each([
    [{ version: 1 }],
    [{ version: [1, 2] }],
    [{ version: 99 }], // shape is fine; the version is refused later with ERR_VERSION
    [{ version: 1, clientId: 'c', token: 't', inbox: 'i', agent: 'a' }],
    [{ version: 1, clientId: null }],
  ])('accepts %j', (hello) => {
    expect(checkHello([1, hello])).toBeUndefined();
  });

  it.each([
    [undefined, /map/],
    [null, /map/],
    [[1], /map/],
    [bytes, /map/],
    [{}, /version/],
    [{ version: '1' }, /version/],
    [{ version: [1, '2'] }, /version/],
    [{ version: 1, clientId: 5 }, /clientId/],
    [{ version: 1, token: 'x'.repeat(2049) }, /token/],
    [{ version: 1, clientId: 'x'.repeat(257) }, /clientId/],
    [{ version: 1, agent: true }, /agent/],
  ])('rejects %j, naming the field', (hello, reason) => {
    expect(checkHello([1, hello])).toMatch(reason);
  });
});

describe('checkPublish [protocol 2.3]', () => {
  it.each([
    [[2, 1, 'a/b', bytes]],
    [[2, 0, 'a/b', bytes, null]],
    [[2, MAX_ID, 'a', new Uint8Array(0), {}]],
    [[2, 1, 'a', bytes, { qos: 'at-most-once', order: 'fifo', retain: false, confirm: true, replyTo: 'r', headers: { k: 'v' } }]],
    [[2, 1, 'a', bytes, { qos: 'exactly-once' }]], // a known qos: whether it is supported is the handler's business
  ])('accepts %j', (op) => {
    expect(checkPublish(op)).toBeUndefined();
  });

  it.each([
    [[2, 1, 'a'], /takes/],
    [[2, 1, 'a', bytes, null, 'extra'], /takes/],
    [[2, '1', 'a', bytes], /reqId/],
    [[2, -1, 'a', bytes], /reqId/],
    [[2, MAX_ID + 1, 'a', bytes], /reqId/],
    [[2, 1, 42, bytes], /topic/],
    [[2, 1, 'a', 'not bin'], /payload/],
    [[2, 1, 'a', [1, 2]], /payload/],
    [[2, 1, 'a', bytes, 'opts'], /options/],
    [[2, 1, 'a', bytes, [1]], /options/],
    [[2, 1, 'a', bytes, { qos: 'sometimes' }], /qos/],
    [[2, 1, 'a', bytes, { qos: 1 }], /qos/],
    [[2, 1, 'a', bytes, { order: 'random' }], /order/],
    [[2, 1, 'a', bytes, { retain: 'yes' }], /retain/],
    [[2, 1, 'a', bytes, { confirm: 1 }], /confirm/],
    [[2, 1, 'a', bytes, { replyTo: 5 }], /replyTo/],
    [[2, 1, 'a', bytes, { headers: 'h' }], /headers/],
    [[2, 1, 'a', bytes, { headers: { k: 1 } }], /header 'k'/],
    [[2, 1, 'a', bytes, { headers: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])) }], /64/],
  ])('rejects %j, naming the field', (op, reason) => {
    expect(checkPublish(op)).toMatch(reason);
  });
});

describe('checkSubscribe [protocol 2.4]', () => {
  it.each([
    [[3, 1, 1, 'a/+']],
    [[3, 0, MAX_ID, '#', null]],
    [[3, 1, 2, 'a', { qos: 'at-most-once', order: 'fifo', group: 'g', durable: 'd' }]],
  ])('accepts %j', (op) => {
    expect(checkSubscribe(op)).toBeUndefined();
  });

  it.each([
    [[3, 1, 1], /takes/],
    [[3, 1, 1, 'a', null, 0], /takes/],
    [[3, 'x', 1, 'a'], /reqId/],
    [[3, 1, 0, 'a'], /subId/],
    [[3, 1, -5, 'a'], /subId/],
    [[3, 1, 'one', 'a'], /subId/],
    [[3, 1, MAX_ID + 1, 'a'], /subId/],
    [[3, 1, 1, 7], /pattern/],
    [[3, 1, 1, 'a', 5], /options/],
    [[3, 1, 1, 'a', { qos: 'never' }], /qos/],
    [[3, 1, 1, 'a', { order: 1 }], /order/],
    [[3, 1, 1, 'a', { group: '' }], /group/],
    [[3, 1, 1, 'a', { durable: 'x'.repeat(257) }], /durable/],
  ])('rejects %j, naming the field', (op, reason) => {
    expect(checkSubscribe(op)).toMatch(reason);
  });
});

describe('ordering options [semantics 2]: order and after on publish and send, order on subscribe and consume', () => {
  const publish = (options: unknown): unknown[] => [2, 1, 'a', bytes, options];
  const send = (options: unknown): unknown[] => [7, 1, 'q', bytes, options];

  it.each([
    [{ order: 'causal' }],
    [{ order: 'total' }],
    [{ order: 'causal', after: 0 }],
    [{ order: 'total', after: Number.MAX_SAFE_INTEGER }],
    [{ after: 17 }], // with fifo, after is ignored rather than refused
    [{ order: 'fifo', after: null }],
  ])('publish and send accept %j', (options) => {
    expect(checkPublish(publish(options))).toBeUndefined();
    expect(checkSend(send(options))).toBeUndefined();
  });

  it.each([
    [{ order: 'sideways' }, /order/],
    [{ order: 'CAUSAL' }, /order/],
    [{ order: 2 }, /order/],
    [{ order: 'causal', after: -1 }, /after/],
    [{ order: 'causal', after: 1.5 }, /after/],
    [{ order: 'causal', after: 'x' }, /after/],
    [{ order: 'causal', after: 2 ** 53 }, /after/],
    [{ order: 'total', after: Infinity }, /after/],
    [{ order: 'total', after: NaN }, /after/],
    [{ order: 'total', after: [1] }, /after/],
  ])('publish and send reject %j, naming the field', (options, reason) => {
    expect(checkPublish(publish(options))).toMatch(reason);
    expect(checkSend(send(options))).toMatch(reason);
  });

  it.each([['fifo'], ['causal'], ['total'], [null]])('subscribe and consume accept order %j', (order) => {
    expect(checkSubscribe([3, 1, 1, 'a/#', { order, qos: 'at-least-once' }])).toBeUndefined();
    expect(checkConsume([8, 1, 1, 'q', { order, prefetch: 10 }])).toBeUndefined();
  });

  it.each([['sideways'], [''], [1], [true]])('subscribe and consume reject order %j', (order) => {
    expect(checkSubscribe([3, 1, 1, 'a/#', { order }])).toMatch(/order/);
    expect(checkConsume([8, 1, 1, 'q', { order }])).toMatch(/order/);
  });
});

describe('checkSettle: nack release [protocol 2.13]', () => {
  it.each([
    [{ requeue: true, release: true }],
    [{ release: false }],
    [{ release: null, delayMs: 10 }],
  ])('accepts %j', (options) => {
    expect(checkSettle([10, 1, 1, [[5, 1]], options], 'nack')).toBeUndefined();
  });

  it.each([[{ release: 'yes' }], [{ release: 1 }], [{ requeue: true, release: {} }]])('rejects %j, naming release', (options) => {
    expect(checkSettle([10, 1, 1, [[5, 1]], options], 'nack')).toMatch(/release/);
  });
});

describe('checkUnsubscribe [protocol 2.5] and checkRequestOnly [protocol 2.6, 2.7]', () => {
  it('accepts well-formed operations', () => {
    expect(checkUnsubscribe([4, 1, 9])).toBeUndefined();
    expect(checkRequestOnly([5, 0])).toBeUndefined();
    expect(checkRequestOnly([6, MAX_ID])).toBeUndefined();
  });

  it.each([
    [[4, 1], /takes/],
    [[4, 1, 2, 3], /takes/],
    [[4, null, 2], /reqId/],
    [[4, 1, 0], /subId/],
  ])('unsubscribe rejects %j', (op, reason) => {
    expect(checkUnsubscribe(op)).toMatch(reason);
  });

  it.each([[[5]], [[5, 1, 2]], [[6, 'x']], [[6, -1]]])('request-only rejects %j', (op) => {
    expect(checkRequestOnly(op)).toMatch(/takes/);
  });
});

describe('checks on arbitrary input', () => {
  const anyValue = fc.anything({ withTypedArray: true, withBigInt: true, withNullPrototype: true, maxDepth: 2 });
  const anyOp = fc.oneof(
    fc.array(anyValue, { maxLength: 7 }),
    fc.tuple(fc.integer({ min: 1, max: 6 }), fc.nat(), anyValue, anyValue, anyValue),
  );

  it('never throw, and return a reason or nothing', () => {
    fc.assert(fc.property(anyOp, (op) => {
      for (const check of [checkHello, checkPublish, checkSubscribe, checkUnsubscribe, checkRequestOnly]) {
        const result = check(op);
        expect(result === undefined || (typeof result === 'string' && result.length > 0)).toBe(true);
      }
      const id = requestIdOf(op);
      expect(Number.isInteger(id) && id >= 0 && id <= MAX_ID).toBe(true);
    }), { numRuns: 1000 });
  });

  it('let through only operations whose typed fields really have their types', () => {
    fc.assert(fc.property(anyOp, (op) => {
      if (checkPublish(op) === undefined) {
        expect(typeof op[2]).toBe('string');
        expect(op[3]).toBeInstanceOf(Uint8Array);
        expect(Number.isInteger(op[1])).toBe(true);
      }
      if (checkSubscribe(op) === undefined) {
        expect(typeof op[3]).toBe('string');
        expect((op[2] as number) > 0).toBe(true);
      }
    }), { numRuns: 1000 });
  });
});
