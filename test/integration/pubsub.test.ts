import { describe, expect, it } from 'vitest';
import type { Message, OrdoClient } from '../../client/index.js';
import { useResources } from '../helpers/resources.js';
import { useSharedBroker } from '../helpers/shared-broker.js';
import { waitFor } from '../helpers/wait-for.js';

const res = useResources();
const shared = useSharedBroker(res);
const client = (): Promise<OrdoClient> => shared.client();

/** Subscribes and collects every message into the returned array. */
async function collect(c: OrdoClient, pattern: string, options?: { group?: string }): Promise<Message[]> {
  const got: Message[] = [];
  await c.subscribe(pattern, (m) => { got.push(m); }, options);
  return got;
}

const BARRIER = 'barrier-';

/**
 * Publishes a marker on `topic` and waits until `got` holds it. The broker
 * routes one publisher's messages in order, so everything published before
 * has been routed too: an absence checked after this is a real absence.
 */
async function barrier(pub: OrdoClient, topic: string, got: Message[]): Promise<void> {
  const marker = `${BARRIER}${Math.random()}`;
  await pub.publish(topic, marker);
  await waitFor(() => got.some((m) => m.payload === marker), {}, `barrier on ${topic}`);
}

const isBarrier = (m: Message): boolean => typeof m.payload === 'string' && m.payload.startsWith(BARRIER);
const topicsOf = (got: Message[]): string[] => got.filter((m) => !isBarrier(m)).map((m) => m.topic);
const payloadsOf = (got: Message[]): unknown[] => got.filter((m) => !isBarrier(m)).map((m) => m.payload);

describe('topic matching end to end', () => {
  it('delivers an exact topic only to its exact subscription', async () => {
    const sub = await client();
    const pub = await client();
    const exact = await collect(sub, 'orders/eu/created');
    const sentinel = await collect(sub, 'orders/#');
    for (const t of ['orders/eu/created', 'orders/us/created', 'orders/eu/created/x', 'orders/eu']) await pub.publish(t, 1);
    await barrier(pub, 'orders/end', sentinel);
    expect(topicsOf(exact)).toEqual(['orders/eu/created']);
  });

  it('+ matches exactly one level', async () => {
    const sub = await client();
    const pub = await client();
    const got = await collect(sub, 'a/+/c');
    const sentinel = await collect(sub, '#');
    for (const t of ['a/b/c', 'a/x/c', 'a/c', 'a/b/b/c', 'a/b/c/d', 'b/b/c']) await pub.publish(t, 1);
    await barrier(pub, 'end', sentinel);
    expect(topicsOf(got)).toEqual(['a/b/c', 'a/x/c']);
  });

  it('a/# matches a itself and every level below it', async () => {
    const sub = await client();
    const pub = await client();
    const got = await collect(sub, 'a/#');
    const sentinel = await collect(sub, '#');
    for (const t of ['a', 'a/b', 'a/b/c/d', 'ab', 'b/a']) await pub.publish(t, 1);
    await barrier(pub, 'end', sentinel);
    expect(topicsOf(got)).toEqual(['a', 'a/b', 'a/b/c/d']);
  });

  it('leading wildcards do not match $ topics: # never sees $inbox/... replies', async () => {
    const requester = await client();
    const service = await client();
    const spy = await client();
    const all = await collect(spy, '#');
    const plus = await collect(spy, '+/+/+');
    await service.reply('svc/dollar', (m) => m.payload);
    // The request travels on svc/dollar, its reply on $inbox/<id>/<token>.
    const reply = await requester.request('svc/dollar', 'x');
    expect(reply.payload).toBe('x');
    expect(reply.topic.startsWith('$inbox/')).toBe(true);
    await barrier(requester, 'end', all);
    expect(topicsOf(all)).toEqual(['svc/dollar']);
    expect(topicsOf(plus)).toEqual([]);
  });

  it('fans a message out to every subscribed connection', async () => {
    const pub = await client();
    const subs = await Promise.all([client(), client(), client(), client()]);
    const got = await Promise.all(subs.map((s) => collect(s, 'fan/+')));
    for (let i = 0; i < 10; i++) await pub.publish('fan/out', i);
    await waitFor(() => got.every((g) => g.length === 10));
    for (const g of got) expect(payloadsOf(g)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('delivers once per matching subscription: a connection with a/+ and a/# gets a/b twice (documented choice)', async () => {
    const sub = await client();
    const pub = await client();
    const viaPlus = await collect(sub, 'dup/+');
    const viaHash = await collect(sub, 'dup/#');
    const sentinel = await collect(sub, '#');
    await pub.publish('dup/b', 'one');
    await barrier(pub, 'end', sentinel);
    expect(payloadsOf(viaPlus)).toEqual(['one']);
    expect(payloadsOf(viaHash)).toEqual(['one']);
    // Two deliveries to the one connection, each tagged with its own subscription.
    expect(viaPlus[0].seq).toBe(viaHash[0].seq);
  });

  it('unsubscribe stops deliveries and releases the subscription in the broker', async () => {
    const sub = await client();
    const pub = await client();
    const got: Message[] = [];
    const s = await sub.subscribe('unsub/t', (m) => { got.push(m); });
    const sentinel = await collect(sub, 'unsub/#');
    await pub.publish('unsub/t', 'before');
    await waitFor(() => got.length === 1);
    const before = shared.broker.stats().subscriptions;
    await s.unsubscribe();
    expect(shared.broker.stats().subscriptions).toBe(before - 1);
    await pub.publish('unsub/t', 'after');
    await barrier(pub, 'unsub/end', sentinel);
    expect(payloadsOf(sentinel)).toEqual(['before', 'after']);
    expect(payloadsOf(got)).toEqual(['before']);
  });
});

describe('shared subscriptions', () => {
  it('gives each message to exactly one member of a group, and every member some', async () => {
    const pub = await client();
    const members = await Promise.all([client(), client(), client()]);
    const got = await Promise.all(members.map((m) => collect(m, 'jobs/+', { group: 'workers' })));
    const watcher = await client();
    const all = await collect(watcher, 'jobs/#');
    const n = 300;
    for (let i = 0; i < n; i++) await pub.publish('jobs/x', i);
    await waitFor(() => all.length === n);
    await waitFor(() => got.reduce((s, g) => s + g.length, 0) >= n);
    await barrier(pub, 'jobs/end', all);
    const received = got.flatMap(payloadsOf) as number[];
    expect(received.length).toBe(n);
    expect(new Set(received).size).toBe(n);
    for (const g of got) expect(payloadsOf(g).length).toBeGreaterThan(0);
    // A non-group subscription on the same topic still gets everything.
    expect(payloadsOf(all)).toEqual(Array.from({ length: n }, (_, i) => i));
  });
});

describe('messages', () => {
  it('roundtrips payloads of every kind, bytes staying bytes', async () => {
    const sub = await client();
    const pub = await client();
    const got = await collect(sub, 'kinds');
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const payloads: unknown[] = [
      'text', '', 'ünïcødé ✓', 0, 42, -7, 3.5, Number.MAX_SAFE_INTEGER, true, false, null,
      [1, 'two', [3]], { a: { b: { c: [1, 2, { d: 'deep' }] } }, n: null },
    ];
    for (const p of payloads) await pub.publish('kinds', p);
    await pub.publish('kinds', bytes);
    await waitFor(() => got.length === payloads.length + 1);
    expect(got.slice(0, payloads.length).map((m) => m.payload)).toEqual(payloads);
    const last = got[payloads.length].payload;
    expect(last).toBeInstanceOf(Uint8Array);
    expect(Array.from(last as Uint8Array)).toEqual([0, 1, 2, 250, 255]);
  });

  it('carries headers, topic, id, timestamp and an increasing seq', async () => {
    const sub = await client();
    const pub = await client();
    const got = await collect(sub, 'meta/+');
    const before = Date.now();
    await pub.publish('meta/one', 1, { headers: { 'trace-id': 'abc', kind: 'x' } });
    await pub.publish('meta/two', 2);
    await pub.publish('meta/three', 3);
    await waitFor(() => got.length === 3);
    expect(got[0].headers).toEqual({ 'trace-id': 'abc', kind: 'x' });
    expect(got[1].headers).toEqual({});
    expect(got.map((m) => m.topic)).toEqual(['meta/one', 'meta/two', 'meta/three']);
    expect(got[0].seq).toBeLessThan(got[1].seq);
    expect(got[1].seq).toBeLessThan(got[2].seq);
    expect(new Set(got.map((m) => m.id)).size).toBe(3);
    expect(got[0].timestamp).toBeGreaterThanOrEqual(before - 1000);
    expect(got[0].redelivered).toBe(false);
    expect(got[0].deliveries).toBe(1);
  });

  it('keeps each publisher\'s order on a subscription (fifo), with two publishers interleaved', async () => {
    const sub = await client();
    const p1 = await client();
    const p2 = await client();
    const got = await collect(sub, 'fifo/#');
    const n = 2000;
    await Promise.all([
      (async () => { for (let i = 0; i < n; i++) await p1.publish('fifo/a', { p: 1, i }); })(),
      (async () => { for (let i = 0; i < n; i++) await p2.publish('fifo/b', { p: 2, i }); })(),
    ]);
    await waitFor(() => got.length === 2 * n);
    for (const p of [1, 2]) {
      const seen = got.map((m) => m.payload as { p: number; i: number }).filter((x) => x.p === p).map((x) => x.i);
      expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
    }
  });

  it('serves a subscription without a handler as an async iterable', async () => {
    const sub = await client();
    const pub = await client();
    const logs = await sub.subscribe<string>('logs/#');
    const got: string[] = [];
    const reading = (async () => {
      for await (const m of logs) {
        got.push(`${m.topic}:${m.payload}`);
        if (got.length === 3) break;
      }
    })();
    await pub.publish('logs/app', 'one');
    await pub.publish('logs/app/db', 'two');
    await pub.publish('other', 'nope');
    await pub.publish('logs', 'three');
    await reading;
    expect(got).toEqual(['logs/app:one', 'logs/app/db:two', 'logs:three']);
  });

  it('ends the iterator when the subscription is unsubscribed', async () => {
    const sub = await client();
    const pub = await client();
    const s = await sub.subscribe<number>('iter/end');
    const got: number[] = [];
    const reading = (async () => { for await (const m of s) got.push(m.payload); })();
    await pub.publish('iter/end', 1);
    await waitFor(() => got.length === 1);
    await s.unsubscribe();
    await reading; // would hang (and time out) if the iterator never ended
    expect(got).toEqual([1]);
  });

  it('delivers 50,000 publishes complete and in order to a subscriber that keeps up', async () => {
    const sub = await client();
    const pub = await client();
    const n = 50_000;
    let count = 0;
    let outOfOrder = 0;
    await sub.subscribe<number>('bulk/x', (m) => {
      if (m.payload !== count) outOfOrder++;
      count++;
    });
    for (let i = 0; i < n; i++) await pub.publish('bulk/x', i);
    await waitFor(() => count >= n, { timeoutMs: 10_000 }, `got ${count} of ${n}`);
    await pub.flush();
    expect(count).toBe(n);
    expect(outOfOrder).toBe(0);
    expect(shared.broker.stats().dropped).toBe(0);
  });
});
