import { describe, expect, it } from 'vitest';
import { PendingWatch, TotalScopes, orderStamp, type OrderedSource } from '../../broker/ordering/index.js';
import { FrameBuilder, MessageTailEncoder, appendMapEntry, decodeValue, encodeValue, visitFrame } from '../../broker/protocol/index.js';
import { QueueState, type NackResult } from '../../broker/queues/index.js';

/** The broker's side of causal and total order [semantics 2.2, 2.3]: stamps, scopes, PENDING, the MESSAGE form. */

describe('orderStamp', () => {
  const scopes = new TotalScopes({ orders: 'orders/#', eu: '+/eu' });

  it('takes the larger of what the publisher saw and what its connection published, kept below the new id', () => {
    expect(orderStamp('causal', { after: 7, lastAccepted: 3, lastSeq: 10 }, scopes, 'x')).toEqual({ dep: 7 });
    expect(orderStamp('causal', { after: 2, lastAccepted: 9, lastSeq: 10 }, scopes, 'x')).toEqual({ dep: 9 });
    // A client claiming a future id cannot make a message wait for its own successors.
    expect(orderStamp('causal', { after: 99, lastAccepted: 0, lastSeq: 10 }, scopes, 'x')).toEqual({ dep: 10 });
  });

  it('gives fifo no stamp, and total its scope', () => {
    expect(orderStamp('fifo', { after: 1, lastAccepted: 1, lastSeq: 1 }, scopes, 'x')).toBeUndefined();
    expect(orderStamp(undefined, { after: 1, lastAccepted: 1, lastSeq: 1 }, scopes, 'x')).toBeUndefined();
    expect(orderStamp('total', { after: 0, lastAccepted: 0, lastSeq: 5 }, scopes, 'orders/eu')).toEqual({ dep: 0, scope: 'orders' });
  });
});

describe('TotalScopes', () => {
  it('puts a topic in the first scope whose pattern matches, else default: never in two', () => {
    const scopes = new TotalScopes({ orders: 'orders/#', eu: '+/eu' });
    expect(scopes.scopeOf('orders/eu')).toBe('orders'); // matches both: the first wins
    expect(scopes.scopeOf('orders')).toBe('orders');
    expect(scopes.scopeOf('billing/eu')).toBe('eu');
    expect(scopes.scopeOf('billing/us')).toBe('default');
    expect(scopes.scopeOf('billing/us')).toBe('default'); // cached
  });
});

describe('PendingWatch', () => {
  const source = (...ids: number[]): OrderedSource & { ids: number[] } => ({ ids, lowestWaitingId() { return this.ids.length === 0 ? undefined : Math.min(...this.ids); } });

  it('is the lowest waiting or unsent id over the ordered queues, 0 when none, reported only when it changed', () => {
    const a = source(12, 15);
    const b = source();
    const watch = new PendingWatch(() => [a, b]);
    expect(watch.changed()).toBe(12);
    expect(watch.changed()).toBeUndefined();
    // Taken for delivery: no longer waiting, but not sent yet either.
    a.ids = [15];
    watch.willSend(12);
    expect(watch.changed()).toBeUndefined();
    watch.sent(12);
    expect(watch.changed()).toBe(15);
    b.ids = [3];
    expect(watch.changed()).toBe(3);
    a.ids = [];
    b.ids = [];
    expect(watch.changed()).toBe(0);
    expect(watch.changed()).toBeUndefined();
  });

  it('counts each of several deliveries of one id until all were sent', () => {
    const watch = new PendingWatch(() => []);
    watch.willSend(4);
    watch.willSend(4);
    expect(watch.changed()).toBe(4);
    watch.sent(4);
    expect(watch.lowest()).toBe(4);
    watch.sent(4);
    watch.sent(4); // more than announced: ignored
    expect(watch.changed()).toBe(0);
  });
});

describe('MESSAGE of an ordered message [protocol 2.10]', () => {
  function decode(build: (b: FrameBuilder) => void): unknown[][] {
    const builder = new FrameBuilder(256);
    build(builder);
    const seen: unknown[][] = [];
    visitFrame(builder.take(), {
      message: (...fields) => seen.push(['fast', ...fields]),
      other: (op) => seen.push(['generic', op]),
    });
    return seen;
  }

  it('has 11 elements, read by the fast path: deliveries, flags, then {dep} or {dep, scope}', () => {
    const enc = new MessageTailEncoder();
    const seen = decode((b) => {
      b.appendMessage(3, enc.encode('a/b', new Uint8Array([1]), null, null, 42, 1000, { deliveries: 0, flags: 0, order: { dep: 41 } }));
      b.appendMessage(4, enc.encode('a/c', new Uint8Array([2]), null, null, 43, 1001, { deliveries: 2, flags: 0, order: { dep: 7, scope: 'orders' } }));
      b.appendMessage(5, enc.encode('a/d', new Uint8Array([3]), null, null, 44, 1002));
    });
    expect(seen).toEqual([
      ['fast', 3, 'a/b', new Uint8Array([1]), 42, 1000, 0, 0, { dep: 41 }],
      ['fast', 4, 'a/c', new Uint8Array([2]), 43, 1001, 2, 0, { dep: 7, scope: 'orders' }],
      ['fast', 5, 'a/d', new Uint8Array([3]), 44, 1002, 0, 0, undefined],
    ]);
  });

  it('decodes generically, all 11 elements, when the message has headers', () => {
    const enc = new MessageTailEncoder();
    const seen = decode((b) => b.appendMessage(3, enc.encode('a/b', new Uint8Array([1]), { k: 'v' }, null, 42, 1000, { deliveries: 1, flags: 0, order: { dep: 5, scope: 's' } })));
    expect(seen).toEqual([['generic', [67, 3, 'a/b', new Uint8Array([1]), { k: 'v' }, null, 42, 1000, 1, 0, { dep: 5, scope: 's' }]]]);
  });
});

describe('QueueState: a released delivery [protocol 2.13]', () => {
  const nacked = (r: NackResult | string): NackResult => {
    if (typeof r === 'string') throw new Error(`nack refused: ${r}`);
    return r;
  };

  it('comes back without counting the delivery, so it is never dead-lettered for being given back', () => {
    const q = new QueueState('jobs', { maxDeliveries: 2 });
    expect(q.enqueue({ messageId: 1, priority: 0 }, 0).accepted).toBe(true);
    for (let i = 0; i < 5; i++) {
      expect(q.deliver('c1', i).delivery?.deliveries).toBe(1);
      const r = nacked(q.nack(1, 'c1', { requeue: true, release: true }, i));
      expect(r.outcome).toBe('requeued');
      expect(r.ops).toEqual([{ op: 'setDeliveries', queue: 'jobs', messageId: 1, deliveries: 0 }]);
    }
    q.deliver('c1', 10);
    expect(nacked(q.nack(1, 'c1', { requeue: true }, 10)).outcome).toBe('requeued');
    q.deliver('c1', 11);
    expect(nacked(q.nack(1, 'c1', { requeue: true }, 11)).outcome).toBe('dead-lettered');
  });
});

describe('QueueState: an ordered consumer takes the lowest id first [semantics 2.4]', () => {
  it('ignores priorities for it, not for a fifo consumer', () => {
    const make = (): QueueState => {
      const q = new QueueState('jobs');
      for (const [messageId, priority] of [[1, 0], [2, 9], [3, 5]]) expect(q.enqueue({ messageId, priority }, 0).accepted).toBe(true);
      return q;
    };
    const ordered = make();
    expect([1, 2, 3].map(() => ordered.deliver('c1', 0, true).delivery?.messageId)).toEqual([1, 2, 3]);
    const fifo = make();
    expect([1, 2, 3].map(() => fifo.deliver('c1', 0).delivery?.messageId)).toEqual([2, 3, 1]);
  });

  it('hands it nothing above a lower id still delayed (it would hold it back, its window filling)', () => {
    const q = new QueueState('jobs');
    q.enqueue({ messageId: 1, priority: 0, availableAt: 100 }, 0);
    q.enqueue({ messageId: 2, priority: 0 }, 0);
    expect(q.deliver('c1', 0, true).delivery).toBeUndefined();
    expect(q.deliver('c2', 0).delivery?.messageId).toBe(2); // a fifo consumer is not held up
    expect(q.deliver('c1', 100, true).delivery?.messageId).toBe(1);
  });
});

describe('appendMapEntry: a publish\'s after written into its encoded options', () => {
  it.each([
    ['a small map', { order: 'causal' }],
    ['a map with several keys', { qos: 'exactly-once', order: 'total', producer: 'p', pseq: 7, headers: { a: 'b' } }],
    ['an empty map', {}],
  ])('decodes as the map with after added (%s)', (_name, map) => {
    for (const after of [0, 1, 200, 70_000, 2 ** 40]) {
      const patched = appendMapEntry(encodeValue(map), encodeValue('after'), after);
      expect(decodeValue(patched!)).toEqual({ ...map, after });
    }
  });

  it('gives up on what is not a map', () => {
    expect(appendMapEntry(encodeValue([1]), encodeValue('after'), 1)).toBeUndefined();
  });
});
