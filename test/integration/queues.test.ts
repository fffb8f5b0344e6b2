import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { ConsumeOptions, Message, OrdoClient, Subscription } from '../../client/index.js';
import { makeTempDir, startTestBroker } from '../helpers/broker.js';
import { openRawSocket, pack, type RawSocket } from '../helpers/raw-socket.js';
import { useResources } from '../helpers/resources.js';
import { useSharedBroker } from '../helpers/shared-broker.js';
import { waitFor } from '../helpers/wait-for.js';

/** Queues end to end (shared/DESIGN.md, Queues; docs/semantics.md): one in-process broker, SDK clients. */

const res = useResources();
const shared = useSharedBroker(res);
const client = (): Promise<OrdoClient> => shared.client();
let queueCount = 0;
/** A fresh queue name per test: tests share the broker. */
const fresh = (): string => `q${++queueCount}-${Date.now()}`;

/** A consumer that collects deliveries; `settle` decides per message (default: ack). */
async function collect<T>(c: OrdoClient, queue: string, options: ConsumeOptions = {},
  settle: (m: Message<T>) => unknown = () => undefined): Promise<{ got: Message<T>[]; sub: Subscription<T> }> {
  const got: Message<T>[] = [];
  const sub = await c.consume<T>(queue, (m) => {
    got.push(m);
    return settle(m);
  }, options);
  return { got, sub };
}

const never = (): Promise<never> => new Promise(() => undefined);

describe('competing consumers', () => {
  it('each message goes to one consumer, once, and every one is acked', async () => {
    const q = fresh();
    const [a, b, producer] = [await client(), await client(), await client()];
    const ca = await collect<number>(a, q);
    const cb = await collect<number>(b, q);
    const n = 300;
    await Promise.all(Array.from({ length: n }, (_, i) => producer.send(q, i)));
    await waitFor(() => ca.got.length + cb.got.length === n);
    const all = [...ca.got, ...cb.got].map((m) => m.payload).sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(ca.got.length).toBeGreaterThan(0);
    expect(cb.got.length).toBeGreaterThan(0);
    await waitFor(async () => (await producer.queueInfo(q)).total === 0);
    expect([...ca.got, ...cb.got].every((m) => m.deliveries === 1 && !m.redelivered)).toBe(true);
  });

  it('a consumer holds at most `prefetch` unacked deliveries', async () => {
    const q = fresh();
    const c = await client();
    for (let i = 0; i < 20; i++) await c.send(q, i);
    const { got } = await collect<number>(c, q, { prefetch: 3 }, never); // the first handler never returns
    await waitFor(() => got.length === 1);
    await waitFor(async () => (await c.queueInfo(q)).unacked === 3);
    await new Promise((resolve) => setTimeout(resolve, 100)); // time for a fourth, if the broker were to send one
    expect(await c.queueInfo(q)).toMatchObject({ ready: 17, unacked: 3, total: 20, consumers: 1 });
    expect(got.map((m) => m.payload)).toEqual([0]);
  });

  it('a consumer that goes away gives its unacked deliveries back, counted', async () => {
    const q = fresh();
    const producer = await client();
    for (let i = 0; i < 5; i++) await producer.send(q, i);
    const gone = await client();
    await collect<number>(gone, q, { prefetch: 5 }, never);
    await waitFor(async () => (await producer.queueInfo(q)).unacked === 5);
    await gone.close();
    const { got } = await collect<number>(await client(), q);
    await waitFor(() => got.length === 5);
    expect(got.map((m) => [m.payload, m.deliveries, m.redelivered])).toEqual(
      [0, 1, 2, 3, 4].map((i) => [i, 2, true]),
    );
  });
});

describe('at-most-once consumers', () => {
  it('get every message once, read from the store after a restart, a backlog larger than one pump included', async () => {
    const { connect } = await import('../../client/index.js');
    const dir = res.track(await makeTempDir(), (d) => rm(d, { recursive: true, force: true }));
    const first = await startTestBroker({ dataDir: dir });
    const c1 = await connect(first.url, { reconnect: false });
    const n = 500;
    await Promise.all(Array.from({ length: n }, (_, i) => c1.send('amo', i)));
    await c1.close();
    await first.close();
    // The new process has nothing cached: every delivery reads the store, and auto-acks delete as they go.
    const second = res.track(await startTestBroker({ dataDir: dir }), (b) => b.cleanup());
    const c2 = res.track(await connect(second.url, { reconnect: false }), (c) => c.close());
    const got: number[] = [];
    await c2.consume<number>('amo', (m) => { got.push(m.payload); }, { qos: 'at-most-once', prefetch: 50 });
    await waitFor(() => got.length === n);
    expect(got).toEqual(Array.from({ length: n }, (_, i) => i));
    await waitFor(async () => (await c2.queueInfo('amo')).total === 0);
  });
});

describe('large messages', () => {
  it('a prefetch window larger than the outbound limit is filled only up to that limit: the consumer gets everything, its connection stays', async () => {
    const { connect } = await import('../../client/index.js');
    const b = res.track(await startTestBroker({ limits: { maxFrameBytes: 64 * 1024, maxOutboundBytes: 128 * 1024 } }), (x) => x.cleanup());
    const producer = res.track(await connect(b.url, { reconnect: false }), (c) => c.close());
    const consumer = res.track(await connect(b.url, { reconnect: false }), (c) => c.close());
    const n = 60;
    const payload = new Uint8Array(40 * 1024);
    for (let i = 0; i < n; i++) await producer.send('big', payload, { headers: { i: String(i) } });
    const got: number[] = [];
    await consumer.consume<Uint8Array>('big', (m) => { got.push(Number(m.headers.i)); }, { prefetch: 100 });
    await waitFor(() => got.length === n, { timeoutMs: 15_000 });
    expect(got).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(consumer.state).toBe('connected');
    await waitFor(async () => (await producer.queueInfo('big')).total === 0);
  });
});

describe('ack, nack, deadlines, dead letters', () => {
  it('a throwing handler nacks: redelivered first (fifo kept), with its count', async () => {
    const q = fresh();
    const c = await client();
    c.on('error', () => undefined); // the handler's throw is reported there
    for (let i = 0; i < 3; i++) await c.send(q, i);
    let failed = false;
    const { got } = await collect<number>(c, q, { prefetch: 1 }, (m) => {
      if (m.payload === 0 && !failed) {
        failed = true;
        throw new Error('not now');
      }
    });
    await waitFor(() => got.length === 4);
    expect(got.map((m) => [m.payload, m.deliveries])).toEqual([[0, 1], [0, 2], [1, 1], [2, 1]]);
    await waitFor(async () => (await c.queueInfo(q)).total === 0);
  });

  it('nack without requeue dead-letters at once; past maxDeliveries dead-letters too', async () => {
    const q = fresh();
    const c = await client();
    await c.createQueue(q, { maxDeliveries: 2 });
    await c.send(q, 'refused');
    await c.send(q, 'flaky');
    const { got } = await collect<string>(c, q, { prefetch: 1 }, async (m) => {
      if (m.payload === 'refused') await m.nack({ requeue: false });
      else await m.nack();
    });
    await waitFor(async () => (await c.queueInfo(`${q}.dlq`)).total === 2);
    expect(got.map((m) => `${m.payload}:${m.deliveries}`)).toEqual(['refused:1', 'flaky:1', 'flaky:2']);
    const dead = await c.peekQueue<string>(`${q}.dlq`, 10);
    expect(dead.map((m) => [m.payload, m.topic, m.deliveries])).toEqual([['refused', q, 0], ['flaky', q, 0]]);
    expect((await c.queueInfo(q)).total).toBe(0);
  });

  it('a delivery not acked within the ack deadline is redelivered; extend() holds it', async () => {
    const q = fresh();
    const c = await client();
    await c.createQueue(q, { ackDeadlineMs: 300 });
    await c.send(q, 'slow');
    await c.send(q, 'extended');
    const { got } = await collect<string>(c, q, { prefetch: 2, ack: 'manual' });
    await waitFor(() => got.length === 2);
    const [first, second] = got;
    expect([first.payload, second.payload]).toEqual(['slow', 'extended']);
    await second.extend(5000);
    // first is neither acked nor extended: back after 300 ms, to this consumer again.
    await waitFor(() => got.length === 3);
    const again = got[2];
    expect([again.payload, again.deliveries, again.redelivered]).toEqual(['slow', 2, true]);
    // An ack names its delivery: the first one's late ack does not settle the redelivery this consumer now holds.
    await expect(first.ack()).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    expect((await c.queueInfo(q)).unacked).toBe(2);
    await again.ack();
    await second.ack();
    expect((await c.queueInfo(q)).total).toBe(0);
  });

  it('an ack for a delivery this consumer does not hold is ERR_NOT_FOUND, and changes nothing', async () => {
    const q = fresh();
    const c = await client();
    await c.send(q, 'kept');
    const s = await openRawSocket(shared.broker.url);
    res.track(s, (x) => x.close());
    await s.hello();
    s.sendFrame([[8, 1, 7, q, { prefetch: 1 }]]);
    const delivery = await s.nextOp((op) => op[0] === 67);
    const seq = delivery[6] as number;
    s.sendFrame([[9, 2, 7, [seq + 1000]], [9, 3, 99, [seq]], [11, 4, 7, [seq], 1000]]);
    expect((await s.nextOp((op) => op[0] === 66 && op[1] === 2))[2]).toBe('ERR_NOT_FOUND');
    expect((await s.nextOp((op) => op[0] === 66 && op[1] === 3))[2]).toBe('ERR_NOT_FOUND');
    expect((await s.nextOp((op) => op[1] === 4))[0]).toBe(65);
    expect((await c.queueInfo(q)).unacked).toBe(1);
    s.sendFrame([[9, 5, 7, [seq]]]);
    expect((await s.nextOp((op) => op[1] === 5))[0]).toBe(65);
    expect((await c.queueInfo(q)).total).toBe(0);
  });
});

describe('priorities, delays, TTL, length', () => {
  it('delivers higher priorities first, then in sending order', async () => {
    const q = fresh();
    const c = await client();
    const sends: [string, number][] = [['a', 0], ['b', 5], ['c', 0], ['d', 9], ['e', 5]];
    for (const [p, priority] of sends) await c.send(q, p, { priority });
    expect((await c.peekQueue<string>(q, 10)).map((m) => m.payload)).toEqual(['d', 'b', 'e', 'a', 'c']);
    const { got } = await collect<string>(c, q, { prefetch: 1 });
    await waitFor(() => got.length === 5);
    expect(got.map((m) => m.payload)).toEqual(['d', 'b', 'e', 'a', 'c']);
  });

  it('a delayed message waits its delay; a message past its TTL is never delivered', async () => {
    const q = fresh();
    const c = await client();
    const sentAt = Date.now();
    await c.send(q, 'later', { delayMs: 400 });
    await c.send(q, 'expires', { ttlMs: 100 });
    await c.send(q, 'now');
    expect(await c.queueInfo(q)).toMatchObject({ delayed: 1, total: 3 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const arrivals: [string, number][] = [];
    await collect<string>(c, q, {}, (m) => { arrivals.push([m.payload, Date.now() - sentAt]); });
    await waitFor(() => arrivals.length === 2);
    expect(arrivals.map(([p]) => p)).toEqual(['now', 'later']);
    expect(arrivals[1][1]).toBeGreaterThanOrEqual(400);
    await waitFor(async () => (await c.queueInfo(q)).total === 0);
  });

  it('queue TTL: messages expire unconsumed', async () => {
    const q = fresh();
    const c = await client();
    await c.createQueue(q, { messageTtlMs: 100 });
    await c.send(q, 'stale');
    await new Promise((resolve) => setTimeout(resolve, 150));
    await c.send(q, 'fresh');
    const { got } = await collect<string>(c, q);
    await waitFor(() => got.length === 1);
    await waitFor(async () => (await c.queueInfo(q)).total === 0);
    expect(got.map((m) => m.payload)).toEqual(['fresh']);
  });

  it('maxLength: reject-publish refuses with ERR_LIMIT; drop-oldest drops the oldest', async () => {
    const c = await client();
    const rejecting = fresh();
    await c.createQueue(rejecting, { maxLength: 2 });
    await c.send(rejecting, 1);
    await c.send(rejecting, 2);
    await expect(c.send(rejecting, 3)).rejects.toMatchObject({ code: 'ERR_LIMIT' });
    expect((await c.peekQueue(rejecting)).map((m) => m.payload)).toEqual([1, 2]);
    const dropping = fresh();
    await c.createQueue(dropping, { maxLength: 2, overflow: 'drop-oldest' });
    for (const i of [1, 2, 3]) await c.send(dropping, i);
    expect((await c.peekQueue(dropping)).map((m) => m.payload)).toEqual([2, 3]);
  });
});

describe('administration', () => {
  it('create, list, info, peek (does not consume), purge (waiting only), delete', async () => {
    const q = fresh();
    const c = await client();
    const created = await c.createQueue(q, { maxDeliveries: 4 });
    expect(created).toMatchObject({ name: q, total: 0, settings: { maxDeliveries: 4 } });
    await expect(c.createQueue(q, { maxDeliveries: 4 })).resolves.toMatchObject({ name: q });
    await expect(c.createQueue(q, { maxDeliveries: 5 })).rejects.toMatchObject({ code: 'ERR_CONFLICT' });
    for (let i = 0; i < 4; i++) await c.send(q, i, { headers: { n: String(i) } });
    const peeked = await c.peekQueue<number>(q, 2);
    expect(peeked.map((m) => [m.payload, m.headers.n, m.deliveries])).toEqual([[0, '0', 0], [1, '1', 0]]);
    expect((await c.listQueues()).map((x) => x.name)).toEqual(expect.arrayContaining([q, `${q}.dlq`]));
    await collect<number>(c, q, { prefetch: 1 }, never);
    await waitFor(async () => (await c.queueInfo(q)).unacked === 1);
    expect(await c.purgeQueue(q)).toEqual({ purged: 3, remaining: 0 });
    expect(await c.queueInfo(q)).toMatchObject({ ready: 0, unacked: 1, total: 1 });
    expect(await c.deleteQueue(q)).toEqual({ deleted: 1 });
    await expect(c.queueInfo(q)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await expect(c.deleteQueue(q)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  it('stats show queues and the store', async () => {
    const q = fresh();
    const c = await client();
    await c.send(q, 'x');
    const stats = await c.stats();
    expect(stats.queues.find((x) => x.name === q)).toMatchObject({ ready: 1, total: 1 });
    expect(stats.store.durability).toBe('fsync');
    expect(stats.store.messages).toBeGreaterThan(0);
    expect(stats.store.commits).toBeGreaterThan(0);
  });
});

describe('bad input: a clear error, nothing lost', () => {
  async function raw(): Promise<RawSocket> {
    const s = res.track(await openRawSocket(shared.broker.url), (x) => x.close());
    await s.hello();
    return s;
  }

  async function errorOf(s: RawSocket, op: unknown[]): Promise<string> {
    s.ws.send(pack([op]));
    const reply = await s.nextOp((o) => o[1] === op[1] && (o[0] === 65 || o[0] === 66));
    return reply[0] === 66 ? reply[2] as string : 'ok';
  }

  it.each([
    ['negative TTL', [7, 11, 'bad-q', pack('x'), { ttlMs: -1 }], 'ERR_BAD_REQUEST'],
    ['absurd TTL (1000 years)', [7, 12, 'bad-q', pack('x'), { ttlMs: 1000 * 365 * 86_400_000 }], 'ERR_BAD_REQUEST'],
    ['fractional delay', [7, 13, 'bad-q', pack('x'), { delayMs: 1.5 }], 'ERR_BAD_REQUEST'],
    ['priority 10', [7, 14, 'bad-q', pack('x'), { priority: 10 }], 'ERR_BAD_REQUEST'],
    ['empty queue name', [7, 15, '', pack('x')], 'ERR_BAD_REQUEST'],
    ['a broker queue', [7, 16, '$durable/x', pack('x')], 'ERR_FORBIDDEN'],
    ['prefetch 0', [8, 17, 5, 'bad-q', { prefetch: 0 }], 'ERR_BAD_REQUEST'],
    ['prefetch 20000', [8, 18, 5, 'bad-q', { prefetch: 20_000 }], 'ERR_BAD_REQUEST'],
    ['ack of nothing', [9, 19, 5, []], 'ERR_BAD_REQUEST'],
    ['ack without a consumer', [9, 20, 5, [1]], 'ERR_NOT_FOUND'],
    ['a malformed delivery tag', [9, 27, 5, [[1]]], 'ERR_BAD_REQUEST'],
    ['extend by 13 hours', [11, 21, 5, [1], 13 * 3_600_000], 'ERR_BAD_REQUEST'],
    ['unknown queue action', [12, 22, 'explode', 'bad-q'], 'ERR_BAD_REQUEST'],
    ['queue settings out of range', [12, 23, 'create', 'bad-q2', { maxDeliveries: 0 }], 'ERR_BAD_REQUEST'],
    ['unknown queue setting', [12, 24, 'create', 'bad-q3', { colour: 'red' }], 'ERR_BAD_REQUEST'],
    ['peek of a missing queue', [12, 25, 'peek', 'no-such-queue', { count: 1 }], 'ERR_NOT_FOUND'],
    ['exactly-once send without a producer', [7, 26, 'bad-q', pack('x'), { qos: 'exactly-once' }], 'ERR_BAD_REQUEST'],
  ])('%s', async (_name, op, code) => {
    const c = await client();
    await c.send('bad-q', 'kept');
    const before = (await c.queueInfo('bad-q')).total;
    const s = await raw();
    expect(await errorOf(s, op)).toBe(code);
    // The connection stays usable and nothing was lost or added.
    expect(await errorOf(s, [12, 99, 'info', 'bad-q'])).toBe('ok');
    expect((await c.queueInfo('bad-q')).total).toBe(before);
  });

  it('with auto-create off, sending to or consuming a missing queue is ERR_NOT_FOUND', async () => {
    const b = res.track(await startTestBroker({ queues: { autoCreate: false } }), (x) => x.cleanup());
    const { connect } = await import('../../client/index.js');
    const c = res.track(await connect(b.url, { reconnect: false }), (x) => x.close());
    await expect(c.send('missing', 'x')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await expect(c.consume('missing', () => undefined)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await c.createQueue('present');
    await expect(c.send('present', 'x')).resolves.toBeUndefined();
    expect((await c.listQueues()).map((q) => q.name).sort()).toEqual(['present', 'present.dlq']);
  });
});
