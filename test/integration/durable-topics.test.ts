import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  connect, OrdoError, type ConnectOptions, type Message, type OrdoClient, type QueueInfo, type SubscribeOptions,
} from '../../client/index.js';
import { makeTempDir, spawnBrokerProcess, startTestBroker, type BrokerProcess, type TestBroker } from '../helpers/broker.js';
import { useResources } from '../helpers/resources.js';
import { useSharedBroker } from '../helpers/shared-broker.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Stored delivery on topics (issue 3) end to end through the SDK:
 * at-least-once and durable subscriptions, shared at-least-once groups,
 * retained messages, replay of a topic's history, and the SDK resending
 * unconfirmed publishes to a broker restarted after a SIGKILL.
 */

const res = useResources();
const shared = useSharedBroker(res);
const ALO = { qos: 'at-least-once' } as const;
const FAST_RETRY: ConnectOptions = { reconnectDelayMs: 20, maxReconnectDelayMs: 200 };
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

const client = (options?: ConnectOptions): Promise<OrdoClient> => shared.client(options);

/** Subscribes and collects every message into the returned array (the handler resolves: at-least-once deliveries are acked). */
async function collect<T = unknown>(c: OrdoClient, pattern: string, options?: SubscribeOptions): Promise<Message<T>[]> {
  const got: Message<T>[] = [];
  await c.subscribe<T>(pattern, (m) => { got.push(m); }, options);
  return got;
}

const payloads = <T>(got: readonly Message<T>[]): T[] => got.map((m) => m.payload);

/** The OrdoError a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<OrdoError> {
  const err = await p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e);
  expect(err).toBeInstanceOf(OrdoError);
  return err as OrdoError;
}

/** The queue behind the (only) non-durable at-least-once subscription on `pattern`, if any. */
async function subscriptionQueue(c: OrdoClient, pattern: string): Promise<QueueInfo | undefined> {
  return (await c.listQueues()).find((q) => q.pattern === pattern && q.name.startsWith('$sub/'));
}

/** A temp data dir removed after the test, for brokers restarted on the same data. */
async function dataDir(): Promise<string> {
  const dir = await makeTempDir();
  res.defer(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** An in-process broker on `dir`, closed after the test (its data dir is kept until the test's end). */
async function brokerOn(dir: string): Promise<TestBroker> {
  return res.track(await startTestBroker({ dataDir: dir }), (b) => b.cleanup());
}

async function clientOf(url: string, options: ConnectOptions = {}): Promise<OrdoClient> {
  return res.track(await connect(url, { reconnect: false, ...options }), (c) => c.close());
}

describe('at-least-once subscriptions', () => {
  it('a resolving handler acks: each message once, in order, deliveries 1; the queue empties and goes with the subscription', async () => {
    const sub = await client();
    const pub = await client();
    const got: Message<number>[] = [];
    const s = await sub.subscribe<number>('alo/ack', async (m) => { got.push(m); }, ALO);
    for (let i = 0; i < 20; i++) await pub.publish('alo/ack', i, ALO);
    await waitFor(() => got.length >= 20, {}, 'all 20 delivered');
    expect(payloads(got)).toEqual(range(0, 20));
    expect(got.every((m) => m.deliveries === 1 && !m.redelivered)).toBe(true);
    const queue = await subscriptionQueue(pub, 'alo/ack');
    expect(queue, 'a queue backs the subscription').toBeDefined();
    await waitFor(async () => (await pub.queueInfo(queue!.name)).total === 0, {}, 'every delivery acked');

    await s.unsubscribe();
    await waitFor(async () => (await subscriptionQueue(pub, 'alo/ack')) === undefined, {}, 'the queue went with the subscription');
    expect(payloads(got)).toEqual(range(0, 20));
  });

  it('a throwing handler nacks: the message comes again with deliveries 2 and redelivered, and not a third time once acked', async () => {
    const sub = await client();
    sub.on('error', () => { /* the handler's deliberate throw is reported here */ });
    const pub = await client();
    const got: Message<string>[] = [];
    await sub.subscribe<string>('alo/nack', (m) => {
      got.push(m);
      if (m.payload === 'refused-once' && m.deliveries === 1) throw new Error('not now');
    }, ALO);
    await pub.publish('alo/nack', 'refused-once', ALO);
    await waitFor(() => got.length >= 2, {}, 'redelivered after the nack');
    expect(got.map((m) => [m.payload, m.deliveries, m.redelivered])).toEqual([
      ['refused-once', 1, false],
      ['refused-once', 2, true],
    ]);
    // Same stored message both times.
    expect(got[1].seq).toBe(got[0].seq);
    await pub.publish('alo/nack', 'after', ALO);
    await waitFor(() => got.some((m) => m.payload === 'after'), {}, 'the next message');
    const queue = await subscriptionQueue(pub, 'alo/nack');
    await waitFor(async () => (await pub.queueInfo(queue!.name)).total === 0, {}, 'everything acked');
    expect(payloads(got)).toEqual(['refused-once', 'refused-once', 'after']);
  });

  it('a shared at-least-once group splits the messages: each to one member, none lost, none twice', async () => {
    const pub = await client();
    const members = await Promise.all([client(), client(), client()]);
    const got = await Promise.all(members.map((m) => collect<number>(m, 'grp/+', { group: 'split', qos: 'at-least-once', prefetch: 4 })));
    const n = 90;
    const published: Promise<void>[] = [];
    for (let i = 0; i < n; i++) published.push(pub.publish(`grp/${i % 3}`, i, ALO));
    await Promise.all(published);
    await waitFor(() => got.reduce((s, g) => s + g.length, 0) >= n, { timeoutMs: 10_000 }, 'all delivered');
    await waitFor(async () => (await pub.queueInfo('$group/split/p/grp%2F%2B')).total === 0, {}, 'all acked');
    const received = got.flatMap(payloads).sort((a, b) => a - b);
    expect(received).toEqual(range(0, n));
    for (const g of got) expect(g.length, 'every member gets some').toBeGreaterThan(0);
    expect(got.flat().every((m) => m.deliveries === 1)).toBe(true);
  });
});

describe('durable subscriptions', () => {
  it('keeps what arrives while the subscriber is away and delivers it in order when it is back; once acked, never again', async () => {
    const options = { durable: 'keep' } as const;
    const queue = '$durable/dur-1/keep';
    const first = await client({ clientId: 'dur-1' });
    await first.subscribe('dur/+', () => undefined, options);
    await first.close();
    const pub = await client();
    for (let i = 0; i < 10; i++) await pub.publish(`dur/${i % 2}`, i, ALO);
    const info = await pub.queueInfo(queue);
    expect(info.total).toBe(10);
    expect(info.consumers).toBe(0);

    const back = await client({ clientId: 'dur-1' });
    const got = await collect<number>(back, 'dur/+', options);
    await waitFor(() => got.length >= 10, {}, 'the kept messages');
    expect(payloads(got)).toEqual(range(0, 10));
    expect(got.map((m) => m.topic)).toEqual(range(0, 10).map((i) => `dur/${i % 2}`));
    await waitFor(async () => (await pub.queueInfo(queue)).total === 0, {}, 'all acked');
    await back.close();

    const again = await client({ clientId: 'dur-1' });
    const got2 = await collect<number | string>(again, 'dur/+', options);
    await pub.publish('dur/0', 'marker', ALO);
    await waitFor(() => got2.length >= 1, {}, 'the marker');
    await again.flush();
    expect(payloads(got2)).toEqual(['marker']);
  });

  it('unsubscribe keeps the queue (and what arrives meanwhile); deleteQueue removes it', async () => {
    const sub = await client({ clientId: 'dur-2' });
    const pub = await client();
    const queue = '$durable/dur-2/kept';
    const s = await sub.subscribe('kept/x', () => undefined, { durable: 'kept' });
    await s.unsubscribe();
    await pub.publish('kept/x', 1, ALO);
    expect((await pub.queueInfo(queue)).total).toBe(1);
    expect(await pub.deleteQueue(queue)).toEqual({ deleted: 1 });
    expect((await rejection(pub.queueInfo(queue))).code).toBe('ERR_NOT_FOUND');
  });

  it('an at-most-once publish reaches a connected durable subscriber once, and is not kept while it is away', async () => {
    const options = { durable: 'amo' } as const;
    const queue = '$durable/dur-3/amo';
    const pub = await client();
    const first = await client({ clientId: 'dur-3' });
    const live = await collect<string>(first, 'amo/x', options);
    await pub.publish('amo/x', 'while-connected');
    await waitFor(() => live.length >= 1, {}, 'the at-most-once message while connected');
    await first.close();

    await pub.publish('amo/x', 'at-most-once-while-away');
    // Routed after the one before (same connection); resolves after its commit.
    await pub.publish('amo/x', 'at-least-once-while-away', ALO);
    expect((await pub.queueInfo(queue)).total).toBe(1);

    const back = await client({ clientId: 'dur-3' });
    const got = await collect<string>(back, 'amo/x', options);
    await waitFor(() => got.length >= 1, {}, 'the kept message');
    await waitFor(async () => (await pub.queueInfo(queue)).total === 0, {}, 'acked');
    await back.flush();
    expect(payloads(live)).toEqual(['while-connected']);
    expect(payloads(got)).toEqual(['at-least-once-while-away']);
  });

  it('survives a broker restart on the same data dir: kept messages, and an unacked delivery comes back redelivered', async () => {
    const dir = await dataDir();
    // Prefetch 1: only message 0 is in flight when the broker stops.
    const options = { durable: 'across', prefetch: 1 } as const;
    const queue = '$durable/dur-4/across';
    const b1 = await brokerOn(dir);
    const sub = await clientOf(b1.url, { clientId: 'dur-4' });
    const held: Message<number>[] = [];
    // The handler never settles message 0: it is in flight when the broker stops.
    await sub.subscribe<number>('across/x', (m) => { held.push(m); return new Promise(() => undefined); }, options);
    const pub = await clientOf(b1.url);
    for (let i = 0; i < 6; i++) await pub.publish('across/x', i, ALO);
    await waitFor(() => held.length >= 1, {}, 'message 0 delivered');
    expect(await pub.queueInfo(queue)).toMatchObject({ total: 6, unacked: 1 });
    await b1.close();

    const b2 = await brokerOn(dir);
    const admin = await clientOf(b2.url);
    const info = await admin.queueInfo(queue);
    expect(info.total).toBe(6);
    expect(info.unacked).toBe(0);
    const back = await clientOf(b2.url, { clientId: 'dur-4' });
    const got = await collect<number>(back, 'across/x', options);
    await waitFor(() => got.length >= 6, {}, 'the kept messages after the restart');
    await waitFor(async () => (await admin.queueInfo(queue)).total === 0, {}, 'all acked');
    expect(payloads(held)).toEqual([0]);
    expect(payloads(got)).toEqual(range(0, 6));
    expect(got[0].redelivered).toBe(true);
    expect(got[0].seq).toBe(held[0].seq);
    expect(got.slice(1).every((m) => m.deliveries === 1)).toBe(true);
  });
});

describe('retained messages', () => {
  it('a late subscriber gets the newest retained message first, flagged; live ones follow unflagged', async () => {
    const pub = await client();
    await pub.publish('ret/a', 'v1', { retain: true });
    await pub.publish('ret/a', 'v2', { retain: true });
    // A publish without retain neither replaces nor clears it.
    await pub.publish('ret/a', 'not-retained', ALO);
    await pub.publish('ret/b', 'b1', { retain: true, qos: 'at-least-once' });
    const sub = await client();
    const got = await collect<string>(sub, 'ret/+');
    await pub.publish('ret/a', 'live');
    await waitFor(() => got.length >= 3, {}, 'retained and live');
    await sub.flush();
    expect(got.map((m) => [m.topic, m.payload, m.retained])).toEqual([
      ['ret/a', 'v2', true],
      ['ret/b', 'b1', true],
      ['ret/a', 'live', false],
    ]);
  });

  it.each([
    ['null', 'clear/nil', null],
    ["''", 'clear/string', ''],
    ['empty bytes', 'clear/bytes', new Uint8Array(0)],
  ])('an empty retained publish (%s) clears it: a later subscriber gets none, a current one gets it once', async (_, topic, empty) => {
    const pub = await client();
    await pub.publish(topic, 'old', { retain: true });
    const current = await collect<unknown>(await client(), topic);
    await pub.publish(topic, empty, { retain: true });
    await waitFor(() => current.length === 2, {}, 'the retained message, then the clearing one');
    expect(current.map((m) => m.retained)).toEqual([true, false]);
    expect(current[0].payload).toBe('old');
    // Nil, '' or empty bytes: one or two bytes of MessagePack.
    expect(current[1].rawPayload.length).toBeLessThanOrEqual(2);
    const sub = await client();
    const got = await collect<string>(sub, topic);
    await pub.publish(topic, 'after');
    await waitFor(() => got.length >= 1, {}, 'the live message');
    await sub.flush();
    expect(got.map((m) => [m.payload, m.retained])).toEqual([['after', false]]);
  });

  it('is not sent to members of a shared group, at-most-once or at-least-once', async () => {
    const pub = await client();
    await pub.publish('retg/a', 'retained', { retain: true });
    const plain = await collect<string>(await client(), 'retg/+');
    const amoMember = await collect<string>(await client(), 'retg/+', { group: 'rg-amo' });
    const aloMember = await collect<string>(await client(), 'retg/+', { group: 'rg-alo', qos: 'at-least-once' });
    await pub.publish('retg/a', 'after', ALO);
    const hasAfter = (got: Message<string>[]): boolean => got.some((m) => m.payload === 'after');
    await waitFor(() => hasAfter(plain) && hasAfter(amoMember) && hasAfter(aloMember), {}, 'the live message everywhere');
    expect(payloads(plain)).toEqual(['retained', 'after']);
    expect(amoMember.map((m) => [m.payload, m.retained])).toEqual([['after', false]]);
    expect(aloMember.map((m) => [m.payload, m.retained])).toEqual([['after', false]]);
  });

  it('survives a broker restart on the same data dir, as does its clearing', async () => {
    const dir = await dataDir();
    const b1 = await brokerOn(dir);
    const pub = await clientOf(b1.url);
    await pub.publish('keep/me', { v: 1 }, { retain: true });
    await pub.publish('keep/me', { v: 2 }, { retain: true });
    await pub.publish('keep/gone', 'x', { retain: true });
    await pub.publish('keep/gone', null, { retain: true });
    await b1.close();

    const b2 = await brokerOn(dir);
    const sub = await clientOf(b2.url);
    const got = await collect(sub, 'keep/#');
    const pub2 = await clientOf(b2.url);
    await pub2.publish('keep/end', 'end');
    await waitFor(() => got.some((m) => m.payload === 'end'), {}, 'the live marker');
    expect(got.map((m) => [m.topic, m.payload, m.retained])).toEqual([
      ['keep/me', { v: 2 }, true],
      ['keep/end', 'end', false],
    ]);
  });
});

describe('replay (subscribe with from)', () => {
  /**
   * Publishes `from..to-1` at-least-once on `topic` while the subscription
   * is being made, so some land in the history and some arrive live.
   */
  function publishDuring(pub: OrdoClient, topic: string, from: number, to: number): Promise<void> {
    return (async () => {
      for (let i = from; i < to; i++) await pub.publish(topic, i, ALO);
    })();
  }

  it('from a seq: the stored history from that seq (inclusive), then live messages, none missed, none twice', async () => {
    const topic = 'rp/seq';
    const pub = await client();
    const watcher = await collect<number | string>(await client(), topic);
    for (let i = 0; i < 10; i++) {
      await pub.publish(topic, i, ALO);
      // At-most-once publishes are not stored: no history for them.
      if (i === 5) await pub.publish(topic, 'not-stored');
    }
    await waitFor(() => watcher.length >= 11, {}, 'the watcher saw the history');
    const seq3 = watcher.find((m) => m.payload === 3)!.seq;

    const sub = await client();
    const during = publishDuring(pub, topic, 10, 30);
    const got = await collect<number>(sub, topic, { from: { seq: seq3 } });
    await during;
    for (let i = 30; i < 40; i++) await pub.publish(topic, i, ALO);
    await waitFor(() => got.some((m) => m.payload === 39), { timeoutMs: 10_000 }, 'the last live message');
    await sub.flush();

    expect(payloads(got)).toEqual(range(3, 40));
    const firstLive = got.findIndex((m) => !m.replayed);
    expect(got.slice(firstLive).every((m) => !m.replayed), 'replayed messages come first').toBe(true);
    expect(firstLive, '3..9 were stored before the subscription').toBeGreaterThanOrEqual(7);
    // A replayed message keeps its stored seq.
    const watched = new Map(watcher.map((m) => [m.payload, m.seq]));
    for (const m of got.slice(0, firstLive)) expect(m.seq).toBe(watched.get(m.payload));
    expect(got.every((m) => !m.retained)).toBe(true);
  });

  it('from a time: the history published at or after it, then live messages, none missed, none twice', async () => {
    const topic = 'rp/time';
    const pub = await client();
    const watcher = await collect<number>(await client(), topic);
    for (let i = 0; i < 5; i++) await pub.publish(topic, i, ALO);
    await waitFor(() => watcher.length >= 5, {}, 'the watcher saw the first five');
    const since = watcher[4].timestamp + 1;
    await waitFor(() => Date.now() > since, {}, 'the clock passed the first five');
    for (let i = 5; i < 10; i++) await pub.publish(topic, i, ALO);

    const sub = await client();
    const during = publishDuring(pub, topic, 10, 25);
    const got = await collect<number>(sub, topic, { from: { time: since } });
    await during;
    for (let i = 25; i < 30; i++) await pub.publish(topic, i, ALO);
    await waitFor(() => got.some((m) => m.payload === 29), { timeoutMs: 10_000 }, 'the last live message');
    await sub.flush();

    expect(payloads(got)).toEqual(range(5, 30));
    const firstLive = got.findIndex((m) => !m.replayed);
    expect(firstLive).toBeGreaterThanOrEqual(5);
    expect(got.slice(firstLive).every((m) => !m.replayed)).toBe(true);
    expect(got.slice(0, firstLive).every((m) => m.timestamp >= since)).toBe(true);
  });

  it('a retained message inside the replayed range arrives once, not once as retained and again as replayed', async () => {
    const topic = 'rp/retained';
    const pub = await client();
    await pub.publish(topic, 'a', ALO);
    await pub.publish(topic, 'r', { retain: true });
    await pub.publish(topic, 'b', ALO);
    const sub = await client();
    const got = await collect<string>(sub, topic, { from: { seq: 0 } });
    await pub.publish(topic, 'live');
    await waitFor(() => got.some((m) => m.payload === 'live'), {}, 'the live message');
    await sub.flush();
    const seqs = got.map((m) => m.seq);
    expect(new Set(seqs).size, `seqs delivered: ${seqs.join(', ')}`).toBe(seqs.length);
    expect(payloads(got).filter((p) => p !== 'r')).toEqual(['a', 'b', 'live']);
  });

  it.each([
    ['rp/+', {}, 'ERR_BAD_REQUEST'],
    ['rp/#', {}, 'ERR_BAD_REQUEST'],
    ['rp/seq', { qos: 'at-least-once' }, 'ERR_UNSUPPORTED'],
    ['rp/seq', { durable: 'replayer' }, 'ERR_UNSUPPORTED'],
  ] as const)('is refused on %s with %o: %s, and the connection stays usable', async (pattern, extra, code) => {
    const c = await client({ clientId: 'replayer' });
    const err = await rejection(c.subscribe(pattern, () => undefined, { from: { seq: 1 }, ...extra }));
    expect(err.code).toBe(code);
    const got = await collect<string>(c, 'rp/ok');
    await c.publish('rp/ok', 'fine');
    await waitFor(() => got.length >= 1, {}, 'the connection still works');
  });
});

describe('SDK resend after a SIGKILL of the broker', () => {
  async function brokerProcess(opts: { port?: number; dataDir?: string } = {}): Promise<BrokerProcess> {
    return res.track(await spawnBrokerProcess([], opts), (b) => b.stop());
  }

  it('every at-least-once publish promise resolves on the restarted broker, and a durable subscriber gets every message', async () => {
    const n = 1000;
    const window = 100;
    const b1 = await brokerProcess();
    const sub = await clientOf(b1.url, { ...FAST_RETRY, reconnect: true, clientId: 'resend-sub' });
    const seen = new Set<number>();
    await sub.subscribe<number>('resend/#', (m) => { seen.add(m.payload); }, { durable: 'all', prefetch: 50 });
    const pub = await clientOf(b1.url, { ...FAST_RETRY, reconnect: true, clientId: 'resend-pub' });

    let issued = 0;
    let confirmed = 0;
    const inFlight = new Set<Promise<void>>();
    const producing = (async () => {
      for (let i = 0; i < n; i++) {
        const p: Promise<void> = pub.publish(`resend/${i % 4}`, i, ALO).then(() => { confirmed++; }).finally(() => inFlight.delete(p));
        issued++;
        inFlight.add(p);
        if (inFlight.size >= window) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    })();

    await waitFor(() => confirmed >= n / 4, { timeoutMs: 20_000 }, 'a quarter confirmed');
    await b1.kill('SIGKILL');
    const unconfirmedAtKill = issued - confirmed;
    await waitFor(() => pub.state === 'reconnecting', {}, 'the publisher noticed');
    await brokerProcess({ port: b1.port, dataDir: b1.dataDir });

    await producing; // rejects if any publish promise rejected
    expect(unconfirmedAtKill, 'publishes were unconfirmed when the broker died').toBeGreaterThan(0);
    expect(confirmed).toBe(n);
    await waitFor(() => seen.size === n, { timeoutMs: 20_000 }, `the subscriber got ${seen.size} of ${n}`);
    expect([...seen].sort((a, b) => a - b)).toEqual(range(0, n));
  }, 40_000);
});
