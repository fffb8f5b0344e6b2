import { describe, expect, it } from 'vitest';
import { QueueState } from '../../broker/queues/index.js';

/** QueueState's administrator actions: purge with max, takeReady (move), the oldest message's age, room. */

const T0 = 1_700_000_000_000;

function queue(name: string, settings = {}): QueueState {
  return new QueueState(name, settings);
}

function send(q: QueueState, ids: number[], fields: { priority?: number; availableAt?: number; expiresAt?: number } = {}, now = T0): void {
  for (const messageId of ids) expect(q.enqueue({ messageId, priority: 0, ...fields }, now).accepted).toBe(true);
}

function drain(q: QueueState, now = T0): number[] {
  const ids: number[] = [];
  for (let d = q.deliver('c', now).delivery; d !== undefined; d = q.deliver('c', now).delivery) ids.push(d.messageId);
  return ids;
}

describe('QueueState.purge(max)', () => {
  it('removes the oldest waiting entries (lowest ids), one deleteEntry each, and leaves the rest in order', () => {
    const q = queue('jobs');
    send(q, [5, 6, 7]);
    send(q, [8], { priority: 9 });
    expect(q.purge(2)).toEqual({
      ops: [5, 6].map((messageId) => ({ op: 'deleteEntry', queue: 'jobs', messageId })), purgedMessageIds: [5, 6],
    });
    expect(drain(q)).toEqual([8, 7]);
  });

  it('with max at or above the waiting count is the whole purge', () => {
    const q = queue('jobs');
    send(q, [1, 2]);
    expect(q.purge(5)).toEqual({ ops: [{ op: 'purgeQueue', queue: 'jobs' }], purgedMessageIds: [1, 2] });
    expect(q.counts(T0).total).toBe(0);
  });
});

describe('QueueState.takeReady (move)', () => {
  it('takes ready entries in delivery order as moveEntry ops; the target accepts them and delivers them in the same order', () => {
    const dlq = queue('jobs.dlq', { deadLetterQueue: null });
    const jobs = queue('jobs');
    send(dlq, [3, 1, 2]);
    send(dlq, [9], { priority: 4 });
    send(dlq, [10], { availableAt: T0 + 1000 }); // delayed: stays
    const { ops, taken, expiredMessageIds } = dlq.takeReady(10, 'jobs', T0 + 5);
    expect(taken.map((e) => e.messageId)).toEqual([9, 1, 2, 3]);
    expect(expiredMessageIds).toEqual([]);
    expect(ops[0]).toEqual({ op: 'moveEntry', from: 'jobs.dlq', to: 'jobs', messageId: 9, deliveries: 0, expiresAt: null, availableAt: T0 + 5 });
    for (const entry of taken) jobs.acceptDeadLetter(entry, T0 + 5);
    expect(dlq.counts(T0 + 5)).toMatchObject({ ready: 0, delayed: 1 });
    expect(drain(jobs, T0 + 5)).toEqual([9, 1, 2, 3]);
  });

  it('takes at most max, deletes the expired ones it meets instead of moving them, and resets delivery counts', () => {
    const q = queue('a', { maxDeliveries: 5 });
    send(q, [1, 2, 3, 4]);
    send(q, [5], { expiresAt: T0 + 10 });
    q.deliver('c', T0);
    q.nack(1, 'c', { requeue: true }, T0);
    const first = q.takeReady(1, 'b', T0 + 20);
    expect(first.taken).toEqual([expect.objectContaining({ messageId: 1, deliveries: 1 })]);
    expect(first.ops).toEqual([expect.objectContaining({ op: 'moveEntry', messageId: 1, deliveries: 0 })]);
    const b = queue('b');
    b.acceptDeadLetter(first.taken[0], T0 + 20);
    expect(b.deliver('c', T0 + 20).delivery).toMatchObject({ messageId: 1, deliveries: 1, redelivered: false });
    // Message 5 expired at T0 + 10: met after 2, 3, 4 (delivery order), deleted and not counted.
    const rest = q.takeReady(10, 'b', T0 + 20);
    expect(rest.taken.map((e) => e.messageId)).toEqual([2, 3, 4]);
    expect(rest.expiredMessageIds).toEqual([5]);
    expect(rest.ops.at(-1)).toEqual({ op: 'deleteEntry', queue: 'a', messageId: 5 });
    expect(q.counts(T0 + 20).total).toBe(0);
  });

  it('leaves in-flight entries where they are', () => {
    const q = queue('a');
    send(q, [1, 2]);
    q.deliver('c', T0);
    expect(q.takeReady(10, 'b', T0).taken.map((e) => e.messageId)).toEqual([2]);
    expect(q.counts(T0)).toMatchObject({ ready: 0, inFlight: 1 });
    expect(q.ack(1, 'c')).not.toBe('ERR_NOT_FOUND');
  });
});

describe('QueueState.oldestAgeMs and room', () => {
  it('is the age of the lowest waiting id since it became available; null when nothing waits', () => {
    const q = queue('a', { maxLength: 3 });
    expect(q.oldestAgeMs(T0)).toBeNull();
    expect(q.room).toBe(3);
    send(q, [1], {}, T0);
    send(q, [2], {}, T0 + 500);
    expect(q.oldestAgeMs(T0 + 1000)).toBe(1000);
    expect(q.room).toBe(1);
    drain(q, T0 + 1000);
    expect(q.oldestAgeMs(T0 + 1000)).toBeNull(); // in flight is not waiting
    send(q, [3], { availableAt: T0 + 5000 }, T0 + 1000);
    expect(q.oldestAgeMs(T0 + 2000)).toBe(0); // delayed: not available yet
  });
});
