import { describe, expect, it } from 'vitest';
import { connect, OrdoError, type OrdoClient } from '../../client/index.js';
import type { StartBrokerOptions } from '../../broker/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { openRawSocket, pack } from '../helpers/raw-socket.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';

const res = useResources();

async function broker(opts: StartBrokerOptions): Promise<TestBroker> {
  return res.track(await startTestBroker(opts), (b) => b.cleanup());
}

async function client(b: TestBroker): Promise<OrdoClient> {
  return res.track(await connect(b.url, { reconnect: false }), (c) => c.close());
}

/** The OrdoError a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<OrdoError> {
  const err = await p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e);
  expect(err).toBeInstanceOf(OrdoError);
  return err as OrdoError;
}

function queueNames(b: TestBroker): string[] {
  return b.stats().queues.map((q) => q.name);
}

describe('publish quotas', () => {
  // The broker stops reading once a read (a frame, or a TCP chunk of frames) overdraws the bucket:
  // what that read held is still processed, so the bounds below leave out a read's worth.
  it('slows a publisher past publishRate (the socket is not read) and loses none of its messages', async () => {
    const rate = 200;
    const count = 800;
    const b = await broker({ limits: { publishRate: rate } });
    const sub = await client(b);
    const got = new Set<number>();
    await sub.subscribe<{ i: number }>('quota/t', (m) => { got.add(m.payload.i); }, { qos: 'at-least-once', prefetch: 1000 });
    const pub = await client(b);
    // 1 KiB each: the SDK sends 64 KiB frames, so the broker reads them a few dozen at a time.
    const pad = 'x'.repeat(1024);
    const started = performance.now();
    await Promise.all(Array.from({ length: count }, (_, i) => pub.publish('quota/t', { i, pad }, { qos: 'at-least-once' })));
    const tookMs = performance.now() - started;
    await waitFor(() => got.size === count, {}, 'every message delivered');
    // The bucket starts full (one second's worth); the rest is paid at `rate`/s. A lower bound, not a speed claim.
    const oneRead = 130;
    expect(tookMs).toBeGreaterThanOrEqual(((count - rate - oneRead) / rate) * 1000);
    expect(b.stats().dropped).toBe(0);
  });

  it('slows a publisher past publishBytesRate', async () => {
    const bytesRate = 1024 * 1024;
    const b = await broker({ limits: { publishBytesRate: bytesRate } });
    const pub = await client(b);
    const payload = new Uint8Array(64 * 1024);
    const count = 48;
    const started = performance.now();
    await Promise.all(Array.from({ length: count }, () => pub.publish('quota/bytes', payload, { qos: 'at-least-once' })));
    const tookMs = performance.now() - started;
    const oneRead = 2 * payload.length;
    expect(tookMs).toBeGreaterThanOrEqual(((count * payload.length - bytesRate - oneRead) / bytesRate) * 1000);
  });

  it('does not drop, by heartbeat, a connection whose socket it stopped reading for many heartbeats, and loses none of its messages', async () => {
    // A raw peer: it answers pings in the kernel's buffer, which the broker does not read while paused.
    const heartbeatMs = 200;
    const rate = 10;
    const count = 30;
    const b = await broker({ heartbeatMs, limits: { publishRate: rate } });
    const sub = await client(b);
    const got = new Set<number>();
    await sub.subscribe<number>('quota/hb', (m) => { got.add(m.payload); }, { qos: 'at-least-once', prefetch: 1000 });
    const pub = res.track(await openRawSocket(b.url), (s) => s.close());
    await pub.hello();
    const started = performance.now();
    // One frame, read at once: the full bucket pays `rate`, the rest is a debt of 2 s (ten heartbeats) without reading.
    pub.sendFrame(Array.from({ length: count }, (_, i) => [2, i + 1, 'quota/hb', pack(i), { qos: 'at-least-once' }]));
    await waitFor(() => pub.received.filter((op) => op[0] === 65).length === count, {}, 'the burst confirmed');
    // Read only once the pause is over.
    pub.sendFrame([[2, count + 1, 'quota/hb', pack(count), { qos: 'at-least-once' }]]);
    await pub.nextOp((op) => op[0] === 65 && op[1] === count + 1, 10_000);
    expect(performance.now() - started).toBeGreaterThan(5 * heartbeatMs);
    expect(pub.isClosed).toBe(false);
    expect(b.stats().connections).toBe(2);
    expect(pub.received.filter((op) => op[0] === 66)).toEqual([]);
    await waitFor(() => got.size === count + 1, {}, 'every confirmed message delivered');
  });

  it('an SDK publisher held back for many heartbeats stays connected: the broker\'s pings are its signs of life', async () => {
    const heartbeatMs = 200;
    const rate = 10;
    const count = 30;
    const b = await broker({ heartbeatMs, limits: { publishRate: rate } });
    const pub = await client(b);
    const disconnects: unknown[] = [];
    pub.on('disconnect', (e) => disconnects.push(e));
    const started = performance.now();
    // One frame: the full bucket pays `rate`, the rest is a debt of 2 s (ten heartbeats) in which the broker answers
    // none of the SDK's PINGs; the SDK gives up on a broker it hears nothing from for two heartbeats.
    await Promise.all(Array.from({ length: count }, (_, i) => pub.publish('quota/sdk-hb', i, { qos: 'at-least-once' })));
    await pub.publish('quota/sdk-hb', count, { qos: 'at-least-once' });
    expect(performance.now() - started).toBeGreaterThan(5 * heartbeatMs);
    expect(disconnects).toEqual([]);
    expect(pub.state).toBe('connected');
  });

  it('with maxInFlightPerConnection 1, pauses and resumes on each commit: every send is confirmed and delivered', async () => {
    const b = await broker({ limits: { maxInFlightPerConnection: 1 } });
    const c = await client(b);
    const got = new Set<number>();
    await c.consume<number>('inflight', (m) => { got.add(m.payload); }, { prefetch: 500 });
    await Promise.all(Array.from({ length: 300 }, (_, i) => c.send('inflight', i)));
    await waitFor(() => got.size === 300, {}, 'every send delivered');
  });
});

describe('maxUnackedPerConnection', () => {
  it('refuses a consume or stored subscribe whose prefetch would pass it with ERR_LIMIT, creating nothing', async () => {
    const b = await broker({ limits: { maxUnackedPerConnection: 150 } });
    const c = await client(b);
    const first = await c.consume('unacked-a', () => undefined, { prefetch: 100 });
    const consumeErr = await rejection(c.consume('unacked-b', () => undefined, { prefetch: 51 }));
    expect(consumeErr.code).toBe('ERR_LIMIT');
    expect(consumeErr.message).toContain('maxUnackedPerConnection');
    const subscribeErr = await rejection(c.subscribe('unacked/t', () => undefined, { qos: 'at-least-once', prefetch: 51 }));
    expect(subscribeErr.code).toBe('ERR_LIMIT');
    expect(queueNames(b)).toEqual(['unacked-a', 'unacked-a.dlq']);
    // At-most-once consumers hold no unacked deliveries; what fits still fits.
    await c.consume('unacked-c', () => undefined, { prefetch: 1000, qos: 'at-most-once' });
    await c.subscribe('unacked/t', () => undefined, { qos: 'at-least-once', prefetch: 50 });
    // Another connection has its own allowance, and freeing one makes room.
    await (await client(b)).consume('unacked-b', () => undefined, { prefetch: 150 });
    await first.unsubscribe();
    await c.consume('unacked-b', () => undefined, { prefetch: 100 });
  });
});

describe('maxQueues', () => {
  it('refuses a queue past the limit with ERR_LIMIT, whichever way it would be made, and makes none of it', async () => {
    // Each queue comes with its dead-letter queue: two queues.
    const b = await broker({ limits: { maxQueues: 3 } });
    const c = await client(b);
    await c.send('mq-a', 'x');
    expect(queueNames(b)).toEqual(['mq-a', 'mq-a.dlq']);
    const sendErr = await rejection(c.send('mq-b', 'x'));
    expect(sendErr.code).toBe('ERR_LIMIT');
    expect(sendErr.message).toContain('maxQueues');
    expect((await rejection(c.consume('mq-b', () => undefined))).code).toBe('ERR_LIMIT');
    expect((await rejection(c.createQueue('mq-b'))).code).toBe('ERR_LIMIT');
    expect((await rejection(c.subscribe('mq/t', () => undefined, { qos: 'at-least-once', durable: 'd1' }))).code).toBe('ERR_LIMIT');
    expect(queueNames(b)).toEqual(['mq-a', 'mq-a.dlq']);
    // One without a dead-letter queue still fits, and the queues that exist keep working.
    await c.createQueue('mq-c', { deadLetterQueue: null });
    await c.send('mq-a', 'y');
    expect(b.stats().queues.find((q) => q.name === 'mq-a')?.ready).toBe(2);
    // A plain at-least-once subscription's queue is not counted: it lives and dies with its subscription
    // (bounded per connection), so one connection's subscriptions cannot use up the broker's queues.
    const sub = await c.subscribe('mq/t', () => undefined, { qos: 'at-least-once' });
    expect(b.stats().subscriptions).toBe(1);
    await sub.unsubscribe();
    expect((await rejection(c.createQueue('mq-d', { deadLetterQueue: null }))).code).toBe('ERR_LIMIT');
  });
});

describe('memory high watermark', () => {
  it('below the broker\'s memory: publishes and sends are refused with ERR_LIMIT, while consumers still get and ack what is stored', async () => {
    // Messages stored by a broker without the alarm, then the same data dir under a watermark the broker is always above.
    const normal = await startTestBroker({});
    const dataDir = normal.dataDir;
    res.defer(() => normal.cleanup());
    const before = await connect(normal.url, { reconnect: false });
    expect(normal.stats().memoryAlarm).toBe(false);
    for (let i = 0; i < 5; i++) await before.send('mem-q', i);
    await before.close();
    await normal.close();

    const b = await broker({ dataDir, limits: { memoryHighWatermarkBytes: 1 } });
    expect(b.stats().memoryAlarm).toBe(true);
    const c = await client(b);
    const published = await rejection(c.publish('mem/t', 'x', { qos: 'at-least-once' }));
    expect(published.code).toBe('ERR_LIMIT');
    expect(published.message).toMatch(/^memory high watermark: /);
    expect((await rejection(c.send('mem-q', 'x'))).code).toBe('ERR_LIMIT');
    // An at-most-once publish is refused too; the SDK hears of it as an error event.
    const errors: OrdoError[] = [];
    c.on('error', (err) => errors.push(err as OrdoError));
    await c.publish('mem/t', 'x');
    await waitFor(() => errors.length === 1, {}, 'at-most-once refusal');
    expect(errors[0].code).toBe('ERR_LIMIT');
    // Consumers drain: deliveries arrive and acks are taken.
    const got: number[] = [];
    await c.consume<number>('mem-q', (m) => { got.push(m.payload); });
    await waitFor(() => got.length === 5, {}, 'stored messages delivered');
    await waitFor(() => b.stats().queues.find((q) => q.name === 'mem-q')?.total === 0, {}, 'all acked');
    expect(b.stats().queues.find((q) => q.name === 'mem-q')?.acked).toBe(5);
  });
});

describe('disk low watermark', () => {
  it('refuses stored publishes and sends with ERR_LIMIT while less than diskFreeLimitBytes is free; at-most-once publishes pass', async () => {
    const b = await broker({ limits: { diskFreeLimitBytes: Number.MAX_SAFE_INTEGER } });
    await waitFor(() => b.stats().diskAlarm, {}, 'disk alarm');
    expect(b.stats().memoryAlarm).toBe(false);
    const c = await client(b);
    const got: unknown[] = [];
    await c.subscribe('disk/t', (m) => { got.push(m.payload); });
    const stored = await rejection(c.publish('disk/t', 'stored', { qos: 'at-least-once' }));
    expect(stored.code).toBe('ERR_LIMIT');
    expect(stored.message).toMatch(/^disk low watermark: /);
    expect((await rejection(c.publish('disk/t', 'retained', { retain: true }))).code).toBe('ERR_LIMIT');
    expect((await rejection(c.send('disk-q', 'x'))).code).toBe('ERR_LIMIT');
    await c.publish('disk/t', 'plain', { confirm: true });
    await waitFor(() => got.length === 1);
    expect(got).toEqual(['plain']);
    expect(b.stats().store.messages).toBe(0);
  });

  it('is not watched under durability memory (no disk is written)', async () => {
    const b = await broker({ durability: 'memory', limits: { diskFreeLimitBytes: Number.MAX_SAFE_INTEGER } });
    const c = await client(b);
    await c.publish('disk/m', 'stored', { qos: 'at-least-once' });
    expect(b.stats().diskAlarm).toBe(false);
  });
});
