import { describe, expect, it, vi } from 'vitest';
import type { Message } from '../../client/message.js';
import { Subscription, type MessageHandler, type SubscriptionOwner } from '../../client/subscription.js';

/** A stand-in message: Subscription only passes messages along. */
const msg = (seq: number): Message => ({ seq, topic: `t/${seq}` }) as unknown as Message;

function fakeOwner(): SubscriptionOwner & { errors: unknown[]; unsubscribed: number[] } {
  const errors: unknown[] = [];
  const unsubscribed: number[] = [];
  return {
    errors,
    unsubscribed,
    reportError: (err) => { errors.push(err); },
    unsubscribeById: async (id) => { unsubscribed.push(id); },
  };
}

/** A promise the test settles by hand. */
function deferred(): { promise: Promise<void>; resolve(): void; reject(err: unknown): void } {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

/** Lets promise callbacks run (no timers involved). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

function subscription(handler?: MessageHandler, maxPending?: number) {
  const owner = fakeOwner();
  const sub = new Subscription(7, 'a/+', maxPending === undefined ? {} : { maxPending }, handler, owner);
  return { sub, owner };
}

describe('Subscription with a handler', () => {
  it('calls the handler once per message, in delivery order', () => {
    const seen: number[] = [];
    const { sub } = subscription((m) => { seen.push(m.seq); });
    for (let i = 1; i <= 100; i++) sub.push(msg(i));
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(sub.received).toBe(100);
    expect(sub.dropped).toBe(0);
  });

  it('awaits an async handler before handing it the next message', async () => {
    const calls: number[] = [];
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const { sub } = subscription((m) => {
      calls.push(m.seq);
      return gates[m.seq - 1].promise;
    });
    sub.push(msg(1));
    sub.push(msg(2));
    sub.push(msg(3));
    await settle();
    expect(calls).toEqual([1]);
    gates[0].resolve();
    await settle();
    expect(calls).toEqual([1, 2]);
    gates[1].resolve();
    await settle();
    expect(calls).toEqual([1, 2, 3]);
    gates[2].resolve();
    await settle();
    sub.push(msg(4)); // idle again: handed over at once
    expect(calls).toEqual([1, 2, 3, 4]);
  });

  it('reports a synchronous throw to its owner and goes on with the next message', () => {
    const seen: number[] = [];
    const boom = new Error('boom');
    const { sub, owner } = subscription((m) => {
      seen.push(m.seq);
      if (m.seq === 2) throw boom;
    });
    for (let i = 1; i <= 3; i++) sub.push(msg(i));
    expect(seen).toEqual([1, 2, 3]);
    expect(owner.errors).toEqual([boom]);
  });

  it('reports an async rejection to its owner and goes on with the next message', async () => {
    const seen: number[] = [];
    const boom = new Error('async boom');
    const { sub, owner } = subscription(async (m) => {
      seen.push(m.seq);
      await Promise.resolve();
      if (m.seq === 1) throw boom;
    });
    sub.push(msg(1));
    sub.push(msg(2));
    await settle();
    expect(seen).toEqual([1, 2]);
    expect(owner.errors).toEqual([boom]);
  });

  it('holds at most maxPending messages behind a busy handler, dropping and counting the rest', async () => {
    const seen: number[] = [];
    const gate = deferred();
    const { sub } = subscription((m) => {
      seen.push(m.seq);
      return m.seq === 1 ? gate.promise : undefined;
    }, 2);
    for (let i = 1; i <= 6; i++) sub.push(msg(i)); // 1 runs, 2 and 3 wait, 4–6 dropped
    expect(sub.received).toBe(6);
    expect(sub.dropped).toBe(3);
    gate.resolve();
    await settle();
    expect(seen).toEqual([1, 2, 3]);
    sub.push(msg(7)); // room again
    expect(seen).toEqual([1, 2, 3, 7]);
    expect(sub.dropped).toBe(3);
  });

  it('stops handing out messages once unsubscribed, even those already queued', async () => {
    const seen: number[] = [];
    const gate = deferred();
    const { sub, owner } = subscription((m) => {
      seen.push(m.seq);
      return gate.promise;
    });
    sub.push(msg(1));
    sub.push(msg(2));
    await sub.unsubscribe();
    expect(owner.unsubscribed).toEqual([7]);
    gate.resolve();
    await settle();
    sub.push(msg(3));
    expect(seen).toEqual([1]);
  });

  it('unsubscribes from the broker only once', async () => {
    const { sub, owner } = subscription(() => undefined);
    await sub.unsubscribe();
    await sub.unsubscribe();
    expect(owner.unsubscribed).toEqual([7]);
  });
});

describe('Subscription as an async iterable', () => {
  it('yields messages in order, waiting for the next one when none is queued', async () => {
    const { sub } = subscription();
    const it = sub[Symbol.asyncIterator]();
    sub.push(msg(1));
    expect((await it.next()).value.seq).toBe(1);
    const pending = it.next();
    let isDone = false;
    void pending.then(() => { isDone = true; });
    await settle();
    expect(isDone).toBe(false); // waits
    sub.push(msg(2));
    expect((await pending).value.seq).toBe(2);
  });

  it('ends after unsubscribe, once the messages already received are consumed', async () => {
    const { sub, owner } = subscription();
    sub.push(msg(1));
    sub.push(msg(2));
    const collected: number[] = [];
    const loop = (async () => {
      for await (const m of sub) collected.push(m.seq);
    })();
    await settle();
    expect(collected).toEqual([1, 2]); // the loop is now waiting
    await sub.unsubscribe();
    sub.push(msg(3)); // after unsubscribe: ignored
    await loop; // ends rather than hanging
    expect(collected).toEqual([1, 2]);
    expect(owner.unsubscribed).toEqual([7]);
  });

  it('ends a loop that is waiting when the client ends the subscription', async () => {
    const { sub } = subscription();
    const loop = (async () => {
      let n = 0;
      for await (const _ of sub) n++;
      return n;
    })();
    await settle();
    sub.end();
    expect(await loop).toBe(0);
  });

  it('drops and counts past maxPending while nobody iterates', async () => {
    const { sub } = subscription(undefined, 3);
    for (let i = 1; i <= 5; i++) sub.push(msg(i));
    expect(sub.dropped).toBe(2);
    sub.end();
    const collected: number[] = [];
    for await (const m of sub) collected.push(m.seq);
    expect(collected).toEqual([1, 2, 3]);
  });
});

describe('Subscription handler errors do not escape', () => {
  it('a throwing handler never throws out of push()', () => {
    const { sub, owner } = subscription(() => { throw new Error('x'); });
    expect(() => sub.push(msg(1))).not.toThrow();
    expect(owner.errors).toHaveLength(1);
  });

  it('a handler returning a rejected promise is reported, not unhandled', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const { sub, owner } = subscription(() => Promise.reject(new Error('nope')));
      sub.push(msg(1));
      await settle();
      await new Promise((r) => setImmediate(r));
      expect(owner.errors).toHaveLength(1);
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });
});
