import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect, MemoryDedupStore, type Message, type OrdoClient } from '../../client/index.js';
import { SqliteDedupStore } from '../../client/node.js';
import { makeTempDir, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { openRawSocket, pack, type Op, type RawSocket } from '../helpers/raw-socket.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';

/** Exactly-once end to end (docs/semantics.md 1.3): idempotent publish, the two-step consume, dedup stores, ack-publish. */

const res = useResources();
const OP = { publish: 2, send: 7, consume: 8, ack: 9, received: 13, complete: 14, ackPublish: 15 } as const;
let names = 0;
const fresh = (prefix: string): string => `${prefix}${++names}-${Date.now()}`;

async function broker(opts: Parameters<typeof startTestBroker>[0] = {}): Promise<TestBroker> {
  return res.track(await startTestBroker(opts), (b) => b.cleanup());
}

async function client(url: string, options: Parameters<typeof connect>[1] = {}): Promise<OrdoClient> {
  return res.track(await connect(url, { reconnect: false, ...options }), (c) => c.close());
}

async function raw(url: string, hello: Record<string, unknown> = {}): Promise<{ s: RawSocket; welcome: Record<string, unknown> }> {
  const s = res.track(await openRawSocket(url), (x) => x.close());
  return { s, welcome: await s.hello(hello) };
}

/** Sends one op and resolves with its answer: ['ok', result] or [code, message]. */
async function ask(s: RawSocket, op: Op): Promise<[string, unknown]> {
  s.sendFrame([op]);
  const answer = await s.nextOp((o) => (o[0] === 65 || o[0] === 66) && o[1] === op[1]);
  return answer[0] === 65 ? ['ok', answer[2]] : [answer[2] as string, answer[3]];
}

const exactlyOnce = (producer: string, pseq: number): Record<string, unknown> => ({ qos: 'exactly-once', producer, pseq });

describe('idempotent publish', () => {
  it('a send repeated with its producer and sequence is stored once and confirmed with the original id', async () => {
    const b = await broker();
    const { s } = await raw(b.url);
    const q = fresh('q');
    const first = await ask(s, [OP.send, 1, q, pack('order-1'), exactlyOnce('p1', 1)]);
    const again = await ask(s, [OP.send, 2, q, pack('order-1'), exactlyOnce('p1', 1)]);
    expect(first[0]).toBe('ok');
    expect(again).toEqual(['ok', { id: (first[1] as { id: number }).id, duplicate: true }]);
    const c = await client(b.url);
    expect((await c.queueInfo(q)).total).toBe(1);
  });

  it('a topic publish repeated is stored once: a durable subscriber gets it once', async () => {
    const b = await broker();
    const c = await client(b.url);
    const got: string[] = [];
    await c.subscribe<string>('eo/topic', (m) => { got.push(m.payload); }, { qos: 'exactly-once', durable: fresh('d') });
    const { s } = await raw(b.url);
    const first = await ask(s, [OP.publish, 1, 'eo/topic', pack('a'), exactlyOnce('p2', 7)]);
    const again = await ask(s, [OP.publish, 2, 'eo/topic', pack('a'), exactlyOnce('p2', 7)]);
    expect(again).toEqual(['ok', { id: (first[1] as { id: number }).id, matched: 0, dropped: 0, duplicate: true }]);
    await ask(s, [OP.publish, 3, 'eo/topic', pack('b'), exactlyOnce('p2', 8)]);
    await waitFor(() => got.length === 2);
    await c.flush();
    expect(got).toEqual(['a', 'b']);
  });

  it('a used sequence with another payload or destination is ERR_CONFLICT, and nothing is stored', async () => {
    const b = await broker();
    const { s } = await raw(b.url);
    const q = fresh('q');
    await ask(s, [OP.send, 1, q, pack('x'), exactlyOnce('p3', 1)]);
    expect((await ask(s, [OP.send, 2, q, pack('y'), exactlyOnce('p3', 1)]))[0]).toBe('ERR_CONFLICT');
    expect((await ask(s, [OP.send, 3, `${q}-other`, pack('x'), exactlyOnce('p3', 1)]))[0]).toBe('ERR_CONFLICT');
    expect((await ask(s, [OP.publish, 4, 'eo/x', pack('x'), exactlyOnce('p3', 1)]))[0]).toBe('ERR_CONFLICT');
    const c = await client(b.url);
    expect((await c.queueInfo(q)).total).toBe(1);
  });

  it('remembers sequences across a restart: the retry is a duplicate, and the welcome names the highest sequence', async () => {
    const dataDir = res.track(await makeTempDir(), (d) => rm(d, { recursive: true, force: true }));
    const q = fresh('q');
    const first = await startTestBroker({ dataDir });
    const { s } = await raw(first.url);
    const stored = await ask(s, [OP.send, 1, q, pack('once'), exactlyOnce('p4', 41)]);
    await s.close();
    await first.close();
    const second = await broker({ dataDir });
    const again = await raw(second.url, { producer: 'p4' });
    expect(again.welcome.producerSeq).toBe(41);
    expect(typeof again.welcome.instance).toBe('string');
    expect(await ask(again.s, [OP.send, 2, q, pack('once'), exactlyOnce('p4', 41)])).toEqual(['ok', { id: (stored[1] as { id: number }).id, duplicate: true }]);
    const c = await client(second.url);
    expect((await c.queueInfo(q)).total).toBe(1);
  });

  it('refuses a sequence older than the window, and forgets an idle producer', async () => {
    const b = await broker({ producers: { window: 3, idleMs: 1000 }, retention: { compactIntervalMs: 50 } });
    const { s } = await raw(b.url);
    const q = fresh('q');
    for (let seq = 1; seq <= 5; seq++) expect((await ask(s, [OP.send, seq, q, pack(seq), exactlyOnce('p5', seq)]))[0]).toBe('ok');
    await new Promise((r) => setTimeout(r, 120)); // a compaction trims to the window
    expect(await ask(s, [OP.send, 10, q, pack(1), exactlyOnce('p5', 1)])).toEqual(['ERR_CONFLICT', expect.stringContaining('older than the 3 sequences')]);
    expect((await ask(s, [OP.send, 11, q, pack(5), exactlyOnce('p5', 5)]))[1]).toMatchObject({ duplicate: true });
    await new Promise((r) => setTimeout(r, 1300));
    const after = await ask(s, [OP.send, 12, q, pack(5), exactlyOnce('p5', 5)]);
    expect(after[0]).toBe('ok');
    expect(after[1]).not.toHaveProperty('duplicate');
    expect((await raw(b.url, { producer: 'p5' })).welcome.producerSeq).toBe(5);
  });

  it('past producers.maxProducers, the longest silent producer is forgotten first', async () => {
    const b = await broker({ producers: { maxProducers: 2 }, retention: { compactIntervalMs: 50 } });
    const { s } = await raw(b.url);
    const q = fresh('q');
    for (const [i, producer] of ['old', 'mid', 'new'].entries()) {
      expect((await ask(s, [OP.send, i + 1, q, pack(producer), exactlyOnce(producer, 1)]))[0]).toBe('ok');
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 150)); // a compaction
    expect((await ask(s, [OP.send, 10, q, pack('new'), exactlyOnce('new', 1)]))[1]).toMatchObject({ duplicate: true });
    expect((await ask(s, [OP.send, 11, q, pack('old'), exactlyOnce('old', 1)]))[1]).not.toHaveProperty('duplicate');
  });

  it('one producer id, one connection: a later hello takes it over, and the other is refused, not silently deduplicated', async () => {
    const b = await broker();
    const q = fresh('q');
    // Both start from the same producerSeq: unfenced, the second's first message would pass for the first's retry.
    const first = await client(b.url, { producerId: 'worker' });
    const second = await client(b.url, { producerId: 'worker' });
    await expect(first.send(q, { sku: 'A' }, { qos: 'exactly-once' })).rejects.toMatchObject({ code: 'ERR_CONFLICT' });
    await second.send(q, { sku: 'A' }, { qos: 'exactly-once' });
    expect((await second.queueInfo(q)).total).toBe(1);
    // A connection that never said hello with the id claims it at its first publish, while nobody holds it.
    await second.close();
    const { s } = await raw(b.url);
    expect((await ask(s, [OP.send, 1, q, pack('x'), exactlyOnce('worker', 99)]))[0]).toBe('ok');
    const { s: other } = await raw(b.url);
    expect((await ask(other, [OP.send, 1, q, pack('y'), exactlyOnce('worker', 100)]))[0]).toBe('ERR_CONFLICT');
  });

  it('the SDK continues above the sequence the broker stored for its producer id', async () => {
    const b = await broker();
    const q = fresh('q');
    const a = await client(b.url, { producerId: 'app-1' });
    await a.send(q, 1, { qos: 'exactly-once' });
    await a.send(q, 2, { qos: 'exactly-once' });
    await a.close();
    const restarted = await client(b.url, { producerId: 'app-1' });
    await restarted.send(q, 3, { qos: 'exactly-once' });
    expect((await restarted.queueInfo(q)).total).toBe(3);
  });
});

describe('two-step consume', () => {
  it('a complete for an unknown or completed delivery is ERR_NOT_FOUND saying which', async () => {
    const b = await broker();
    const q = fresh('q');
    const c = await client(b.url);
    await c.send(q, 'm');
    const { s } = await raw(b.url);
    await ask(s, [OP.consume, 1, 1, q, { qos: 'exactly-once' }]);
    const delivery = await s.nextOp((o) => o[0] === 67);
    const tag = [delivery[6], delivery[8]];
    expect(await ask(s, [OP.received, 2, 1, [tag]])).toEqual(['ok', { settled: 1 }]);
    expect(await ask(s, [OP.complete, 3, 1, [tag]])).toEqual(['ok', { settled: 1 }]);
    expect(await ask(s, [OP.complete, 4, 1, [tag]])).toEqual(['ERR_NOT_FOUND', expect.stringContaining('completed already')]);
    expect(await ask(s, [OP.complete, 5, 1, [999_999]])).toEqual(['ERR_NOT_FOUND', expect.stringContaining('not held')]);
    expect(await ask(s, [OP.received, 6, 1, [tag, 999_999]])).toEqual(['ok', { settled: 0, notHeld: [tag, 999_999] }]);
    expect((await c.queueInfo(q)).total).toBe(0);
  });

  it('a received delivery outlives its ack deadline; it comes back, same id, only when its connection ends', async () => {
    const b = await broker();
    const q = fresh('q');
    const c = await client(b.url);
    await c.createQueue(q, { ackDeadlineMs: 100 });
    await c.send(q, 'slow');
    const { s } = await raw(b.url);
    await ask(s, [OP.consume, 1, 1, q, { qos: 'exactly-once' }]);
    const delivery = await s.nextOp((o) => o[0] === 67);
    await ask(s, [OP.received, 2, 1, [[delivery[6], delivery[8]]]]);
    await new Promise((r) => setTimeout(r, 400));
    expect((await c.queueInfo(q)).unacked).toBe(1);
    await s.close();
    const again = await raw(b.url);
    await ask(again.s, [OP.consume, 1, 1, q, { qos: 'exactly-once' }]);
    const redelivery = await again.s.nextOp((o) => o[0] === 67);
    expect([redelivery[6], redelivery[8]]).toEqual([delivery[6], 2]);
  });

  it('deliveries waiting behind a slow handler keep no ack deadline: no other consumer gets them meanwhile', async () => {
    const b = await broker();
    const q = fresh('q');
    const [slow, other] = [await client(b.url), await client(b.url)];
    await slow.createQueue(q, { ackDeadlineMs: 150 });
    for (let i = 0; i < 3; i++) await slow.send(q, i, { qos: 'exactly-once' });
    const effects: string[] = [];
    // Separate dedup stores: only the broker's holding keeps the second consumer away.
    await slow.consume<number>(q, async (m) => {
      await new Promise((r) => setTimeout(r, 250));
      effects.push(`slow ${m.payload}`);
    }, { qos: 'exactly-once', dedup: new MemoryDedupStore() });
    await other.consume<number>(q, (m) => { effects.push(`other ${m.payload}`); }, { qos: 'exactly-once', dedup: new MemoryDedupStore() });
    await waitFor(async () => (await slow.queueInfo(q)).total === 0, { timeoutMs: 5000 });
    expect(effects).toEqual(['slow 0', 'slow 1', 'slow 2']);
  });

  it('deliveries of a lost connection are dropped unhandled: the consumer that gets them again runs them, once', async () => {
    const b = await broker({ heartbeatMs: 100 }); // completed keys are forgotten 1.4 s after their COMPLETE
    const q = fresh('q');
    const proxy = res.track(await startFaultProxy({ target: b.port }), (p) => p.close());
    const store = new MemoryDedupStore();
    const cut = await client(`ws://127.0.0.1:${proxy.port}`, { reconnect: true, reconnectDelayMs: 2000, maxReconnectDelayMs: 2000, dedup: store });
    const other = await client(b.url, { dedup: store });
    const effects: string[] = [];
    let release!: () => void;
    const first = new Promise<void>((resolve) => { release = resolve; });
    await cut.consume<string>(q, async (m) => {
      effects.push(`cut ${m.payload}`);
      if (m.payload === 'm1') await first;
    }, { qos: 'exactly-once', prefetch: 2 });
    await other.send(q, 'm1', { qos: 'exactly-once' });
    await other.send(q, 'm2', { qos: 'exactly-once' });
    await waitFor(() => effects.length === 1 && cut.state === 'connected');
    await new Promise((r) => setTimeout(r, 50)); // m2's receipt is answered: held, waiting behind m1
    proxy.severAll();
    await waitFor(() => cut.state !== 'connected');
    await other.consume<string>(q, (m) => { effects.push(`other ${m.payload}`); }, { qos: 'exactly-once' });
    // Both completed by the other consumer, and their keys forgotten: nothing left to recognise m2 by.
    await waitFor(async () => (await other.queueInfo(q)).total === 0 && store.size === 0, { timeoutMs: 5000 });
    release();
    await new Promise((r) => setTimeout(r, 200));
    // m1 ran in both (a store without runOnce cannot stop a concurrent run); m2 was dropped by the cut consumer.
    expect(effects.filter((e) => e.endsWith('m2'))).toEqual(['other m2']);
  });

  it('the SDK runs the handler once per message, completes it, and skips one its dedup store has seen', async () => {
    const b = await broker({ heartbeatMs: 100 }); // completed keys are forgotten after 4 heartbeats and a second
    const q = fresh('q');
    const c = await client(b.url);
    for (let i = 0; i < 3; i++) await c.send(q, i, { qos: 'exactly-once' });
    const store = new MemoryDedupStore();
    // As if the first message's effect had happened and its COMPLETE was lost.
    const first = (await c.peekQueue(q, 1))[0];
    store.commit(`${c.welcome!.instance}:${q}:${first.seq}`);
    const handled: number[] = [];
    await c.consume<number>(q, (m) => { handled.push(m.payload); }, { qos: 'exactly-once', dedup: store });
    await waitFor(async () => (await c.queueInfo(q)).total === 0);
    expect(handled).toEqual([1, 2]);
    // Kept a grace period after its COMPLETE was answered (a stale copy elsewhere must find it), then forgotten.
    await new Promise((r) => setTimeout(r, 300));
    expect(store.size).toBe(3);
    await waitFor(() => store.size === 0, { timeoutMs: 5000 });
  });

  it('a handler that throws leaves no record: the message comes back and takes effect once', async () => {
    const b = await broker();
    const q = fresh('q');
    const c = await client(b.url);
    await c.send(q, 'flaky', { qos: 'exactly-once' });
    let calls = 0;
    const effects: string[] = [];
    c.on('error', () => undefined);
    await c.consume<string>(q, (m) => {
      calls++;
      if (calls === 1) throw new Error('transient');
      effects.push(m.payload);
    }, { qos: 'exactly-once' });
    await waitFor(async () => (await c.queueInfo(q)).total === 0);
    expect([calls, effects]).toEqual([2, ['flaky']]);
  });

  it("with SqliteDedupStore the handler's writes and the record commit together (handler(msg, tx))", async () => {
    const b = await broker();
    const q = fresh('q');
    const dir = res.track(await makeTempDir('ordo-dedup-'), (d) => rm(d, { recursive: true, force: true }));
    const store = res.track(new SqliteDedupStore(join(dir, 'effects.db')), (x) => x.close());
    store.database.exec('CREATE TABLE effects (v TEXT)');
    const c = await client(b.url, { dedup: store });
    for (const v of ['a', 'b', 'c']) await c.send(q, v, { qos: 'exactly-once' });
    let failOnce = true;
    c.on('error', () => undefined);
    await c.consume<string>(q, (m: Message<string>, tx) => {
      tx.prepare('INSERT INTO effects (v) VALUES (?)').run(m.payload);
      if (m.payload === 'b' && failOnce) {
        failOnce = false;
        throw new Error('after the write: rolled back with it');
      }
    }, { qos: 'exactly-once' });
    await waitFor(async () => (await c.queueInfo(q)).total === 0);
    const rows = store.database.prepare('SELECT v FROM effects ORDER BY v').pluck().all();
    expect(rows).toEqual(['a', 'b', 'c']);
  });
});

describe('retained messages and durable subscriptions', () => {
  it('a durable subscription gets the retained message when it begins, not again when renewed', async () => {
    const b = await broker();
    const publisher = await client(b.url);
    await publisher.publish('eo/retained', 'config-v1', { qos: 'exactly-once', retain: true });
    const handled: string[] = [];
    const durable = fresh('d');
    for (let round = 0; round < 3; round++) {
      const c = await client(b.url, { clientId: 'eo-retained' });
      await c.subscribe<string>('eo/retained', (m) => { handled.push(m.payload); }, { qos: 'exactly-once', durable });
      await c.flush();
      await new Promise((r) => setTimeout(r, 50));
      await c.close();
    }
    expect(handled).toEqual(['config-v1']);
  });
});

describe('retained messages and non-durable subscriptions', () => {
  it('a non-durable exactly-once subscription runs its handler for a retained message once, across reconnects', async () => {
    const b = await broker();
    const proxy = res.track(await startFaultProxy({ target: b.port }), (p) => p.close());
    const publisher = await client(b.url);
    await publisher.publish('eo/config', 'v1', { qos: 'exactly-once', retain: true });
    const c = await client(`ws://127.0.0.1:${proxy.port}`, { reconnect: true, reconnectDelayMs: 10, maxReconnectDelayMs: 10 });
    const handled: string[] = [];
    await c.subscribe<string>('eo/config', (m) => { handled.push(m.payload); }, { qos: 'exactly-once' });
    for (let cut = 0; cut < 2; cut++) {
      await waitFor(() => handled.length >= 1 && c.state === 'connected');
      proxy.severAll();
      await waitFor(() => c.state !== 'connected');
      await waitFor(() => c.state === 'connected');
      await c.flush();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(handled).toEqual(['v1']);
  });
});

describe('ack and publish in one commit', () => {
  it('acks the delivery and stores the outputs together', async () => {
    const b = await broker();
    const [from, to] = [fresh('from'), fresh('to')];
    const c = await client(b.url);
    await c.send(from, 21);
    const got: number[] = [];
    const sink = await client(b.url);
    await sink.subscribe<number>('eo/out', (m) => { got.push(m.payload); }, { qos: 'at-least-once', durable: fresh('d') });
    const consumer = await c.consume<number>(from, (m) => consumer.ackAndPublish(m, [
      { queue: to, payload: m.payload * 2 },
      { topic: 'eo/out', payload: m.payload + 1 },
    ]), { qos: 'exactly-once' });
    await waitFor(async () => (await c.queueInfo(to)).total === 1);
    expect((await c.queueInfo(from)).total).toBe(0);
    expect((await c.peekQueue<number>(to))[0].payload).toBe(42);
    await waitFor(() => got.length === 1);
    expect(got).toEqual([22]);
  });

  it('refused whole: a bad output or a tag not held acks nothing and stores nothing', async () => {
    const b = await broker();
    const [from, to] = [fresh('from'), fresh('to')];
    const c = await client(b.url);
    await c.send(from, 'keep');
    const { s } = await raw(b.url);
    await ask(s, [OP.consume, 1, 1, from, null]);
    const delivery = await s.nextOp((o) => o[0] === 67);
    const tag = [delivery[6], delivery[8]];
    const good = { queue: to, payload: pack('out') };
    expect((await ask(s, [OP.ackPublish, 2, 1, [tag], [good, { queue: '$nope', payload: pack(1) }]]))[0]).toBe('ERR_FORBIDDEN');
    expect((await ask(s, [OP.ackPublish, 3, 1, [tag], [good, { topic: 'a/#', payload: pack(1) }]]))[0]).toBe('ERR_BAD_TOPIC');
    expect((await ask(s, [OP.ackPublish, 4, 1, [tag, 999_999], [good]]))[0]).toBe('ERR_NOT_FOUND');
    expect((await ask(s, [OP.ackPublish, 5, 1, [tag], [{ payload: pack(1) }]]))[0]).toBe('ERR_BAD_REQUEST');
    expect((await ask(s, [OP.ackPublish, 7, 1, [tag], [{ topic: 'eo/t', queue: null, payload: pack(1) }]]))[0]).toBe('ERR_BAD_REQUEST');
    expect((await ask(s, [OP.ackPublish, 8, 1, [tag], [{ queue: 7, payload: pack(1) }]]))[0]).toBe('ERR_BAD_REQUEST');
    const full = fresh('full');
    await c.createQueue(full, { maxLength: 1 });
    await c.send(full, 'occupant');
    expect((await ask(s, [OP.ackPublish, 9, 1, [tag], [good, { queue: full, payload: pack(1) }]]))[0]).toBe('ERR_LIMIT');
    expect((await c.queueInfo(full)).total).toBe(1);
    expect((await c.queueInfo(from)).unacked).toBe(1);
    await expect(c.queueInfo(to)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    expect((await ask(s, [OP.ackPublish, 6, 1, [tag], [good]]))).toEqual(['ok', { ids: [expect.any(Number)] }]);
    expect((await c.queueInfo(from)).total).toBe(0);
    expect((await c.queueInfo(to)).total).toBe(1);
  });
});
