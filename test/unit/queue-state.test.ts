import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OrdoError } from '../../broker/errors/index.js';
import { QueueState, type NackResult, type QueueSettings, type ReturnResult } from '../../broker/queues/index.js';
import { IndexedHeap } from '../../broker/queues/indexed-heap.js';
import type { EntryRecord } from '../../broker/store/index.js';
import { QueueRun, commandsArb, settingsArb } from '../helpers/queue-run.js';

const T0 = QueueRun.T0;

function queue(settings: QueueSettings = {}): QueueState {
  return new QueueState('jobs', settings);
}

/** Enqueues messages `ids` at `now` with `fields`; all must be accepted. */
function send(q: QueueState, ids: number[], fields: { priority?: number; availableAt?: number; expiresAt?: number } = {}, now = T0) {
  for (const messageId of ids) expect(q.enqueue({ messageId, priority: 0, ...fields }, now).accepted).toBe(true);
}

/** Message ids delivered to `consumer` at `now` until the queue has nothing deliverable. */
function drain(q: QueueState, now = T0, consumer = 'c1'): number[] {
  const ids: number[] = [];
  for (let d = q.deliver(consumer, now).delivery; d !== undefined; d = q.deliver(consumer, now).delivery) ids.push(d.messageId);
  return ids;
}

const nacked = (r: NackResult | string): NackResult => {
  if (typeof r === 'string') throw new Error(`nack refused: ${r}`);
  return r;
};
const outcomes = (r: ReturnResult) => r.returned.map((x) => [x.entry.messageId, x.consumerId, x.outcome]);

describe('QueueState: delivery order', () => {
  it('delivers the highest priority first, then the lowest message id', () => {
    const q = queue();
    for (const [messageId, priority] of [[1, 0], [2, 5], [3, 9], [4, 5], [5, 0]]) q.enqueue({ messageId, priority }, T0);
    expect(drain(q)).toEqual([3, 2, 4, 1, 5]);
  });

  it('puts a delivery in flight with a deadline, a count and the ops that persist the count', () => {
    const q = queue({ ackDeadlineMs: 500 });
    send(q, [1]);
    const r = q.deliver('c1', T0 + 10);
    expect(r.delivery).toEqual({ messageId: 1, priority: 0, deliveries: 1, redelivered: false, deadline: T0 + 510, expiresAt: null });
    expect(r.ops).toEqual([{ op: 'setDeliveries', queue: 'jobs', messageId: 1, deliveries: 1 }]);
    expect(q.counts(T0 + 10)).toEqual({ ready: 0, delayed: 0, inFlight: 1, total: 1 });
    expect(q.deliver('c2', T0 + 10).delivery).toBeUndefined();
  });

  it('does not let later messages of the same priority overtake a redelivered one (fifo)', () => {
    const q = queue();
    send(q, [1, 2, 3]);
    expect(q.deliver('c1', T0).delivery?.messageId).toBe(1);
    expect(nacked(q.nack(1, 'c1', { requeue: true }, T0)).outcome).toBe('requeued');
    const again = q.deliver('c2', T0).delivery!;
    expect(again).toMatchObject({ messageId: 1, deliveries: 2, redelivered: true });
    expect(drain(q)).toEqual([2, 3]);
  });

  it('handles 100,000 entries through the heaps, in order', () => {
    const q = queue();
    const n = 100_000;
    for (let id = 1; id <= n; id++) q.enqueue({ messageId: id, priority: (id * 7) % 10 }, T0);
    expect(q.peek(3, T0).map((e) => e.messageId)).toEqual([7, 17, 27]);
    const ids = drain(q);
    const expected = Array.from({ length: n }, (_, i) => i + 1).sort((a, b) => (b * 7) % 10 - (a * 7) % 10 || a - b);
    expect(ids.length).toBe(n);
    expect(ids.findIndex((id, i) => id !== expected[i])).toBe(-1);
  });
});

describe('QueueState: ack, nack, dead letters', () => {
  it('acks only the holder\'s delivery, once', () => {
    const q = queue();
    send(q, [1]);
    q.deliver('c1', T0);
    expect(q.ack(1, 'c2')).toBe('ERR_NOT_FOUND');
    expect(q.ack(9, 'c1')).toBe('ERR_NOT_FOUND');
    expect(q.ack(1, 'c1')).toEqual([{ op: 'deleteEntry', queue: 'jobs', messageId: 1 }]);
    expect(q.ack(1, 'c1')).toBe('ERR_NOT_FOUND');
    expect(q.counts(T0).total).toBe(0);
  });

  it('refuses to ack or nack a waiting message (not delivered)', () => {
    const q = queue();
    send(q, [1]);
    expect(q.ack(1, 'c1')).toBe('ERR_NOT_FOUND');
    expect(q.nack(1, 'c1', { requeue: true }, T0)).toBe('ERR_NOT_FOUND');
  });

  it('requeues after a nack delay, persisting when it is deliverable again', () => {
    const q = queue();
    send(q, [1]);
    q.deliver('c1', T0);
    const r = nacked(q.nack(1, 'c1', { requeue: true, delayMs: 100 }, T0 + 5));
    expect(r.ops).toEqual([{ op: 'setAvailableAt', queue: 'jobs', messageId: 1, availableAt: T0 + 105 }]);
    expect(q.counts(T0 + 5)).toEqual({ ready: 0, delayed: 1, inFlight: 0, total: 1 });
    expect(q.nextWakeAt()).toBe(T0 + 105);
    expect(q.deliver('c1', T0 + 104).delivery).toBeUndefined();
    expect(q.deliver('c1', T0 + 105).delivery?.messageId).toBe(1);
    expect(q.nack(1, 'c1', { requeue: true, delayMs: -1 }, T0)).toBe('ERR_BAD_REQUEST');
    expect(q.nack(1, 'c1', { requeue: true, delayMs: 0.5 }, T0)).toBe('ERR_BAD_REQUEST');
  });

  it('dead-letters a nack without requeue: moved to the dead-letter queue, or deleted without one', () => {
    const q = queue();
    send(q, [1]);
    q.deliver('c1', T0);
    const r = nacked(q.nack(1, 'c1', { requeue: false }, T0));
    expect(r.outcome).toBe('dead-lettered');
    expect(r.ops).toEqual([{
      op: 'moveEntry', from: 'jobs', to: 'jobs.dlq', messageId: 1, deliveries: 0, expiresAt: null, availableAt: T0,
    }]);
    const none = queue({ deadLetterQueue: null });
    send(none, [1]);
    none.deliver('c1', T0);
    expect(nacked(none.nack(1, 'c1', { requeue: false }, T0)).ops).toEqual([{ op: 'deleteEntry', queue: 'jobs', messageId: 1 }]);
  });

  it('dead-letters instead of a delivery past maxDeliveries, whatever brought it back', () => {
    const q = queue({ maxDeliveries: 2, ackDeadlineMs: 10 });
    send(q, [1, 2, 3]);
    q.deliver('c1', T0);
    nacked(q.nack(1, 'c1', { requeue: true }, T0));
    q.deliver('c1', T0);
    expect(nacked(q.nack(1, 'c1', { requeue: true }, T0)).outcome).toBe('dead-lettered');
    for (const id of [2, 3]) expect(q.deliver('c1', T0).delivery?.messageId).toBe(id);
    expect(outcomes(q.expireDeadlines(T0 + 10))).toEqual([[2, 'c1', 'requeued'], [3, 'c1', 'requeued']]);
    expect(drain(q, T0 + 10, 'c2')).toEqual([2, 3]);
    expect(outcomes(q.releaseConsumer('c2', T0 + 11))).toEqual([[2, 'c2', 'dead-lettered'], [3, 'c2', 'dead-lettered']]);
    expect(q.counts(T0 + 11).total).toBe(0);
  });

  it('moves a dead letter afresh: no deliveries, no expiry, available at the time it was dead-lettered', () => {
    const q = queue({ maxDeliveries: 1, messageTtlMs: 1_000 });
    send(q, [1], { priority: 5, expiresAt: T0 + 500 });
    q.deliver('c1', T0);
    const r = nacked(q.nack(1, 'c1', { requeue: true }, T0 + 20));
    expect(r.outcome).toBe('dead-lettered');
    expect(r.ops).toEqual([{
      op: 'moveEntry', from: 'jobs', to: 'jobs.dlq', messageId: 1, deliveries: 0, expiresAt: null, availableAt: T0 + 20,
    }]);
    const dlq = new QueueState('jobs.dlq', { deadLetterQueue: null });
    expect(dlq.acceptDeadLetter(r.entry, T0 + 20).ops).toEqual([]);
    expect(dlq.records()).toEqual([
      { queue: 'jobs.dlq', messageId: 1, priority: 5, availableAt: T0 + 20, expiresAt: null, deliveries: 0 },
    ]);
  });

  it('takes a dead letter with its delivery count reset, and never refuses one', () => {
    const dlq = new QueueState('jobs.dlq', { deadLetterQueue: null, maxLength: 1 });
    const record: EntryRecord = { queue: 'jobs', messageId: 4, priority: 3, availableAt: T0, expiresAt: T0 + 5, deliveries: 10 };
    expect(dlq.acceptDeadLetter(record, T0)).toEqual({ ops: [], droppedMessageIds: [], expiredMessageIds: [] });
    expect(dlq.acceptDeadLetter({ ...record, messageId: 5, deliveries: 0 }, T0)).toEqual({
      ops: [], droppedMessageIds: [], expiredMessageIds: [],
    });
    expect(dlq.counts(T0).ready).toBe(2);
    expect(dlq.deliver('c1', T0 + 10).delivery).toMatchObject({ messageId: 4, deliveries: 1, redelivered: false, expiresAt: null });
    const dropping = new QueueState('jobs.dlq', { deadLetterQueue: null, maxLength: 1, overflow: 'drop-oldest' });
    send(dropping, [7]);
    expect(dropping.acceptDeadLetter({ ...record, messageId: 6 }, T0).droppedMessageIds).toEqual([6]);
    expect(dropping.acceptDeadLetter({ ...record, messageId: 8 }, T0).droppedMessageIds).toEqual([7]);
  });

  it('keeps the entry it holds when a second queue dead-letters the same message into it', () => {
    const dlq = new QueueState('shared.dlq', { deadLetterQueue: null });
    const record: EntryRecord = { queue: 'a', messageId: 4, priority: 3, availableAt: T0, expiresAt: null, deliveries: 2 };
    dlq.acceptDeadLetter(record, T0);
    dlq.deliver('c1', T0);
    const before = dlq.records();
    expect(dlq.acceptDeadLetter({ ...record, queue: 'b', priority: 9 }, T0 + 5)).toEqual({
      ops: [], droppedMessageIds: [], expiredMessageIds: [],
    });
    expect(dlq.records()).toEqual(before);
    expect(dlq.counts(T0 + 5)).toEqual({ ready: 0, delayed: 0, inFlight: 1, total: 1 });
    expect(() => dlq.acceptDeadLetter({ ...record, messageId: 5, priority: 10 }, T0)).toThrow(OrdoError);
  });
});

describe('QueueState: ack deadlines and consumers', () => {
  it('redelivers after the deadline; extendDeadline moves it; deadlines are not persisted', () => {
    const q = queue({ ackDeadlineMs: 100 });
    send(q, [1]);
    q.deliver('c1', T0);
    expect(q.nextWakeAt()).toBe(T0 + 100);
    expect(q.extendDeadline(1, 'c1', 300, T0 + 50)).toEqual({ ops: [], deadline: T0 + 350 });
    expect(q.extendDeadline(1, 'c2', 300, T0 + 50)).toBe('ERR_NOT_FOUND');
    expect(q.extendDeadline(1, 'c1', -1, T0 + 50)).toBe('ERR_BAD_REQUEST');
    expect(q.expireDeadlines(T0 + 349).returned).toEqual([]);
    const back = q.expireDeadlines(T0 + 350);
    expect(outcomes(back)).toEqual([[1, 'c1', 'requeued']]);
    expect(back.ops).toEqual([]);
    expect(q.ack(1, 'c1')).toBe('ERR_NOT_FOUND');
    expect(q.deliver('c2', T0 + 350).delivery).toMatchObject({ messageId: 1, redelivered: true, deliveries: 2 });
  });

  it('gives back only the released consumer\'s deliveries', () => {
    const q = queue();
    send(q, [1, 2, 3]);
    q.deliver('c1', T0);
    q.deliver('c2', T0);
    q.deliver('c1', T0);
    expect(outcomes(q.releaseConsumer('c1', T0))).toEqual([[1, 'c1', 'requeued'], [3, 'c1', 'requeued']]);
    expect(q.counts(T0)).toEqual({ ready: 2, delayed: 0, inFlight: 1, total: 3 });
    expect(q.ack(2, 'c2')).not.toBe('ERR_NOT_FOUND');
  });
});

describe('QueueState: TTL and delays', () => {
  it('expires at the sooner of the message\'s expiry and the queue TTL', () => {
    const q = queue({ messageTtlMs: 1_000 });
    q.enqueue({ messageId: 1, priority: 0, expiresAt: T0 + 50 }, T0);
    const r = q.enqueue({ messageId: 2, priority: 0, expiresAt: T0 + 5_000 }, T0);
    expect(r.ops).toEqual([{ op: 'addEntry', entry: { queue: 'jobs', messageId: 2, priority: 0, availableAt: T0, expiresAt: T0 + 1_000, deliveries: 0 } }]);
    expect(q.records().map((e) => e.expiresAt)).toEqual([T0 + 50, T0 + 1_000]);
  });

  it('never delivers a message past its TTL: deliver removes it, with ops', () => {
    const q = queue();
    send(q, [1], { expiresAt: T0 + 10, priority: 9 });
    send(q, [2]);
    const r = q.deliver('c1', T0 + 10);
    expect(r.delivery?.messageId).toBe(2);
    expect(r.expiredMessageIds).toEqual([1]);
    expect(r.ops[0]).toEqual({ op: 'deleteEntry', queue: 'jobs', messageId: 1 });
    expect(q.peek(5, T0 + 10)).toEqual([]);
  });

  it('expires waiting messages on advance(), and advance() leaves nothing due', () => {
    const q = queue({ ackDeadlineMs: 30 });
    send(q, [1], { expiresAt: T0 + 20 });
    send(q, [2], { availableAt: T0 + 40 });
    send(q, [3], { priority: 9 });
    expect(q.deliver('c1', T0).delivery?.messageId).toBe(3);
    expect(q.nextWakeAt()).toBe(T0 + 20);
    expect(q.advance(T0 + 25).expiredMessageIds).toEqual([1]);
    expect(q.nextWakeAt()).toBe(T0 + 30);
    expect(outcomes(q.advance(T0 + 30))).toEqual([[3, 'c1', 'requeued']]);
    expect(q.nextWakeAt()).toBe(T0 + 40);
    expect(q.counts(T0 + 40)).toEqual({ ready: 2, delayed: 0, inFlight: 0, total: 2 });
    expect(q.nextWakeAt()).toBeUndefined();
  });

  it('holds a delayed message until its time, then delivers it by priority', () => {
    const q = queue();
    send(q, [1], { availableAt: T0 + 100, priority: 9 });
    send(q, [2]);
    expect(q.peek(5, T0).map((e) => e.messageId)).toEqual([2, 1]);
    expect(drain(q, T0)).toEqual([2]);
    send(q, [3], {}, T0 + 100);
    expect(drain(q, T0 + 100)).toEqual([1, 3]);
  });
});

describe('QueueState: max length', () => {
  it('reject-publish refuses the new message and changes nothing', () => {
    const q = queue({ maxLength: 2 });
    send(q, [1, 2]);
    expect(q.enqueue({ messageId: 3, priority: 0 }, T0)).toEqual({ accepted: false, ops: [], droppedMessageIds: [], expiredMessageIds: [] });
    q.deliver('c1', T0);
    expect(q.enqueue({ messageId: 3, priority: 0 }, T0).accepted).toBe(true);
  });

  it('removes expired messages before refusing or dropping', () => {
    const q = queue({ maxLength: 2 });
    send(q, [1], { expiresAt: T0 + 5 });
    send(q, [2]);
    const r = q.enqueue({ messageId: 3, priority: 0 }, T0 + 5);
    expect(r).toMatchObject({ accepted: true, droppedMessageIds: [], expiredMessageIds: [1] });
  });

  it('drop-oldest drops the lowest waiting id, never an in-flight one', () => {
    const q = queue({ maxLength: 2, overflow: 'drop-oldest' });
    send(q, [1, 2, 3].slice(0, 2));
    q.deliver('c1', T0);
    send(q, [3]);
    const r = q.enqueue({ messageId: 4, priority: 9 }, T0);
    expect(r.droppedMessageIds).toEqual([2]);
    expect(r.ops[0]).toEqual({ op: 'deleteEntry', queue: 'jobs', messageId: 2 });
    expect(q.counts(T0)).toEqual({ ready: 2, delayed: 0, inFlight: 1, total: 3 });
  });
});

describe('QueueState: purge, peek, recover, input checks', () => {
  it('purges waiting messages only: one purgeQueue when nothing is in flight, else deleteEntry each', () => {
    const q = queue();
    send(q, [1, 2, 3]);
    q.deliver('c1', T0);
    expect(q.purge()).toEqual({
      ops: [2, 3].map((messageId) => ({ op: 'deleteEntry', queue: 'jobs', messageId })), purgedMessageIds: [2, 3],
    });
    expect(q.ack(1, 'c1')).not.toBe('ERR_NOT_FOUND');
    send(q, [4]);
    expect(q.purge()).toEqual({ ops: [{ op: 'purgeQueue', queue: 'jobs' }], purgedMessageIds: [4] });
  });

  it('peeks without delivering, leaving out what will never be delivered', () => {
    const q = queue();
    send(q, [1, 2]);
    send(q, [3], { priority: 9, expiresAt: T0 + 1 });
    send(q, [4], { availableAt: T0 + 50, expiresAt: T0 + 50 });
    expect(q.peek(10, T0).map((e) => e.messageId)).toEqual([3, 1, 2]);
    expect(q.peek(1, T0 + 1).map((e) => e.messageId)).toEqual([1]);
    expect(q.peek(0, T0 + 1)).toEqual([]);
    expect(q.counts(T0 + 1)).toEqual({ ready: 3, delayed: 1, inFlight: 0, total: 4 });
  });

  it('recovers entries waiting, with their counts; one at maxDeliveries is dead-lettered, not delivered', () => {
    const entry = (messageId: number, fields: Partial<EntryRecord> = {}): EntryRecord =>
      ({ queue: 'jobs', messageId, priority: 0, availableAt: T0, expiresAt: null, deliveries: 0, ...fields });
    const records = [entry(1, { deliveries: 3 }), entry(2, { deliveries: 1 }), entry(3, { availableAt: T0 + 9 })];
    const q = QueueState.recover('jobs', { maxDeliveries: 3 }, records, T0);
    expect(q.counts(T0)).toEqual({ ready: 2, delayed: 1, inFlight: 0, total: 3 });
    const r = q.deliver('c1', T0);
    expect(r.deadLettered).toEqual([records[0]]);
    expect(r.delivery).toMatchObject({ messageId: 2, redelivered: true, deliveries: 2 });
    expect(() => QueueState.recover('jobs', {}, [entry(1), entry(1)], T0)).toThrow(/twice/);
    expect(() => QueueState.recover('other', {}, [entry(1)], T0)).toThrow(/of jobs/);
  });

  it('refuses a duplicate message, a bad priority, and bad settings', () => {
    const q = queue();
    send(q, [1]);
    expect(() => q.enqueue({ messageId: 1, priority: 0 }, T0)).toThrow(expect.objectContaining({ code: 'ERR_CONFLICT' }));
    expect(() => q.enqueue({ messageId: 2, priority: 10 }, T0)).toThrow(expect.objectContaining({ code: 'ERR_BAD_REQUEST' }));
    expect(() => q.enqueue({ messageId: 2, priority: 0, availableAt: Number.NaN }, T0)).toThrow(OrdoError);
    expect(() => queue({ maxDeliveries: 0 })).toThrow(expect.objectContaining({ code: 'ERR_BAD_REQUEST' }));
  });

  it('never lets time run backwards', () => {
    const q = queue();
    send(q, [1], { availableAt: T0 + 10 });
    expect(q.counts(T0 + 10).ready).toBe(1);
    expect(q.deliver('c1', T0).delivery?.messageId).toBe(1);
  });
});

describe('IndexedHeap against a sorted array (property)', () => {
  interface Item { key: number; readonly id: number; at: number }
  const before = (a: Item, b: Item): boolean => a.key < b.key || (a.key === b.key && a.id < b.id);
  const byOrder = (a: Item, b: Item): number => a.key - b.key || a.id - b.id;
  const firstOf = (items: Item[]): Item | undefined => items.reduce<Item | undefined>((m, x) => (m === undefined || before(x, m) ? x : m), undefined);
  const step = fc.oneof(
    { weight: 4, arbitrary: fc.record({ k: fc.constant('push' as const), key: fc.nat({ max: 50 }) }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('pop' as const) }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('remove' as const), pick: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('update' as const), pick: fc.nat(), key: fc.nat({ max: 50 }) }) },
  );

  it('pops, removes from anywhere, re-keys and walks in order like a sorted array', () => {
    fc.assert(fc.property(fc.array(step, { minLength: 50, maxLength: 400, size: 'max' }), (steps) => {
      const heap = new IndexedHeap<Item>(before, { get: (item) => item.at, set: (item, at) => { item.at = at; } });
      let model: Item[] = [];
      let id = 0;
      for (const s of steps) {
        if (s.k === 'push') {
          const item = { key: s.key, id: id++, at: -1 };
          heap.push(item);
          model.push(item);
        } else if (s.k === 'pop') {
          const first = firstOf(model);
          expect(heap.pop()).toBe(first);
          model = model.filter((item) => item !== first);
        } else if (model.length > 0) {
          const item = model[s.pick % model.length];
          if (s.k === 'remove') {
            heap.remove(item);
            model = model.filter((other) => other !== item);
            if (item.at !== -1) expect(item.at).toBe(-1);
          } else {
            item.key = s.key;
            heap.update(item);
          }
        }
        if (heap.peek() !== firstOf(model)) expect(heap.peek()).toBe(firstOf(model));
      }
      const sorted = [...model].sort(byOrder);
      expect([...heap.ordered()]).toEqual(sorted);
      const popped: Item[] = [];
      for (let item = heap.pop(); item !== undefined; item = heap.pop()) popped.push(item);
      expect(popped).toEqual(sorted);
    }), { numRuns: 100 });
  });
});

describe('QueueState against a naive model (property)', () => {
  it('same deliveries, counts and wake times; every message ends exactly once; the ops persist exactly the state', () => {
    fc.assert(fc.property(settingsArb, commandsArb, (settings, commands) => {
      const run = new QueueRun(settings);
      for (const command of commands) run.step(command);
      run.drain();
      expect(run.state.counts(run.now).total).toBe(0);
      expect([...run.accepted].filter((id) => !run.fates.has(id))).toEqual([]);
      expect(run.store.entries(run.name)).toEqual([]);
    }), { numRuns: 300 });
  });
});
