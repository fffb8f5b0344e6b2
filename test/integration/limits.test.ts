import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connect, OrdoError, type OrdoClient } from '../../client/index.js';
import type { StartBrokerOptions } from '../../broker/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { openRawSocket, pack, unpack } from '../helpers/raw-socket.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';

const res = useResources();

async function broker(opts: StartBrokerOptions): Promise<TestBroker> {
  return res.track(await startTestBroker(opts), (b) => b.cleanup());
}

async function client(b: TestBroker, clientId?: string): Promise<OrdoClient> {
  return res.track(await connect(b.url, { reconnect: false, clientId }), (c) => c.close());
}

/** The OrdoError code a promise rejects with (fails the test if it resolves). */
async function rejectionCode(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e);
  expect(err).toBeInstanceOf(OrdoError);
  return (err as OrdoError).code;
}

/** A `ws` socket that has said hello (and so passed the handshake), with what it received. */
async function helloSocket(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<{ ws: WebSocket; ops: unknown[][]; closed: Promise<number> }> {
  const ws = res.track(new WebSocket(url, { perMessageDeflate: false, ...options }), (w) => w.terminate());
  const ops: unknown[][] = [];
  ws.on('error', () => { /* close follows */ });
  ws.on('message', (data: Buffer) => { for (const op of unpack(data) as unknown[][]) ops.push(op); });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  ws.send(pack([[1, { version: 1 }]]));
  await waitFor(() => ops.some((op) => op[0] === 64), {}, 'welcome');
  return { ws, ops, closed };
}

describe('connection limits', () => {
  it('refuses connections past maxConnections with ERR_TOO_MANY_CONNECTIONS, and admits again after one closes', async () => {
    const b = await broker({ limits: { maxConnections: 2 } });
    const c1 = await client(b);
    await client(b);
    expect(await rejectionCode(connect(b.url, { reconnect: false }))).toBe('ERR_TOO_MANY_CONNECTIONS');
    expect(b.stats().connections).toBe(2);
    await c1.close();
    await waitFor(() => b.stats().connections === 1);
    const c3 = await client(b);
    expect(c3.state).toBe('connected');
    expect(b.stats().connections).toBe(2);
  });

  it('refuses subscriptions past maxSubscriptionsPerConnection with ERR_LIMIT, per connection', async () => {
    const b = await broker({ limits: { maxSubscriptionsPerConnection: 3 } });
    const c = await client(b);
    const subs = [await c.subscribe('a', () => undefined), await c.subscribe('b', () => undefined), await c.subscribe('c', () => undefined)];
    expect(await rejectionCode(c.subscribe('d', () => undefined))).toBe('ERR_LIMIT');
    // Another connection has its own allowance.
    const other = await client(b);
    await other.subscribe('d', () => undefined);
    // Freeing one makes room again.
    await subs[0].unsubscribe();
    const d = await c.subscribe('d', () => undefined);
    expect(d.pattern).toBe('d');
    expect(b.stats().subscriptions).toBe(4);
  });

  it('closes a connection that never says hello within handshakeTimeoutMs', async () => {
    const b = await broker({ limits: { handshakeTimeoutMs: 100 } });
    const silent = res.track(await openRawSocket(b.url), (s) => s.close());
    const polite = res.track(await openRawSocket(b.url), (s) => s.close());
    await polite.hello();
    const closed = await silent.closed;
    expect(closed.code).toBe(1002);
    const err = await silent.nextOp((op) => op[0] === 66, 100).catch(() => undefined);
    expect(err?.[2]).toBe('ERR_HANDSHAKE');
    // The one that said hello in time is unaffected.
    expect(polite.isClosed).toBe(false);
    await waitFor(() => b.stats().connections === 1);
  });
});

describe('heartbeat', () => {
  it('terminates a peer that does not answer pings, and keeps an SDK client connected', async () => {
    // Short, but not so short that an event-loop stall of a loaded test machine
    // (both ends live in this process) looks like a dead peer to either side.
    const b = await broker({ heartbeatMs: 200 });
    const sdk = await client(b, 'alive');
    const disconnects: unknown[] = [];
    sdk.on('disconnect', (e) => disconnects.push(e));
    const deaf = await helloSocket(b.url, { autoPong: false });
    await deaf.closed;
    // A second deaf peer, opened after the first died: by the time it is dropped too,
    // the SDK client has lived through several more heartbeat rounds.
    const deaf2 = await helloSocket(b.url, { autoPong: false });
    expect(await deaf2.closed).toBe(1006);
    expect(disconnects).toEqual([]);
    expect(sdk.state).toBe('connected');
    await waitFor(() => b.stats().connections === 1);
    expect(b.stats().connectionList.map((c) => c.clientId)).toEqual(['alive']);
    // And it still works end to end.
    const got: unknown[] = [];
    await sdk.subscribe('hb', (m) => { got.push(m.payload); });
    await sdk.publish('hb', 'still here');
    await waitFor(() => got.length === 1);
  });
});

describe('slow consumers', () => {
  it('drops (and counts) deliveries to a subscriber that does not read, keeping its buffer bounded, while a fast one gets everything', async () => {
    const maxOutboundBytes = 256 * 1024;
    const flushBytes = 16 * 1024;
    const b = await broker({ limits: { maxOutboundBytes, flushBytes, maxFrameBytes: 64 * 1024 } });
    const slow = await helloSocket(b.url);
    slow.ws.send(pack([[3, 1, 1, 'firehose/#', null]]));
    await waitFor(() => slow.ops.some((op) => op[0] === 65 && op[1] === 1), {}, 'slow subscribe confirmed');
    // Stop reading: the kernel buffers fill, then the broker's outbound queue.
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();

    const fast = await client(b, 'fast');
    let fastCount = 0;
    let fastOutOfOrder = 0;
    await fast.subscribe<{ i: number }>('firehose/x', (m) => {
      if (m.payload.i !== fastCount) fastOutOfOrder++;
      fastCount++;
    });
    const pub = await client(b, 'pub');
    const filler = 'x'.repeat(1024);
    const slowConn = (): { dropped: number; bufferedBytes: number } => {
      const s = b.stats().connectionList.find((c) => c.clientId === '' && c.subscriptions === 1);
      if (!s) throw new Error('slow connection not in stats');
      return s;
    };

    let sent = 0;
    let maxBuffered = 0;
    // Batches small enough for the fast subscriber to take whole; the slow one
    // accumulates until the broker starts dropping for it.
    for (let batch = 0; batch < 400 && slowConn().dropped < 500; batch++) {
      for (let k = 0; k < 128; k++) await pub.publish('firehose/x', { i: sent++, filler });
      await waitFor(() => fastCount === sent, { timeoutMs: 5000 }, `fast subscriber got ${fastCount} of ${sent}`);
      maxBuffered = Math.max(maxBuffered, slowConn().bufferedBytes);
    }

    const stats = b.stats();
    expect(stats.dropped).toBeGreaterThan(0);
    expect(slowConn().dropped).toBeGreaterThan(0);
    // Bounded: at most the limit plus one frame being written.
    expect(maxBuffered).toBeLessThanOrEqual(maxOutboundBytes + 2 * flushBytes);
    expect(fastCount).toBe(sent);
    expect(fastOutOfOrder).toBe(0);
    expect(stats.connectionList.find((c) => c.clientId === 'fast')?.dropped).toBe(0);
  });
});

describe('peers that ask without reading', () => {
  it('disconnects a peer whose unread replies pass twice maxOutboundBytes, and serves others meanwhile', async () => {
    const maxOutboundBytes = 64 * 1024;
    const b = await broker({ limits: { maxOutboundBytes, flushBytes: 4096, maxFrameBytes: 16 * 1024 } });
    const greedy = await helloSocket(b.url);
    (greedy.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const bystander = await client(b, 'bystander');
    // Stats replies are large: a few thousand unread ones are megabytes.
    let reqId = 1;
    for (let frame = 0; frame < 400 && greedy.ws.readyState === WebSocket.OPEN; frame++) {
      greedy.ws.send(pack(Array.from({ length: 50 }, () => [6, reqId++])));
      await new Promise((resolve) => setImmediate(resolve));
      if (b.stats().connections === 1) break;
    }
    await waitFor(() => b.stats().connections === 1, {}, 'the greedy peer was dropped');
    const buffered = b.stats().connectionList.map((c) => c.bufferedBytes);
    expect(Math.max(...buffered)).toBeLessThanOrEqual(2 * maxOutboundBytes);
    await bystander.flush();
    expect(bystander.state).toBe('connected');
  });
});
