import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { connect, OrdoClient, OrdoError, type ClientEvents, type ConnectOptions } from '../../client/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { pack } from '../helpers/raw-socket.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';

const res = useResources();
const FAST_RETRY: ConnectOptions = { reconnectDelayMs: 20, maxReconnectDelayMs: 100 };

async function broker(opts: Parameters<typeof startTestBroker>[0] = {}): Promise<TestBroker> {
  return res.track(await startTestBroker(opts), (b) => b.cleanup());
}

async function client(url: string, opts: ConnectOptions = {}): Promise<OrdoClient> {
  return res.track(await connect(url, { ...FAST_RETRY, ...opts }), (c) => c.close());
}

/** Records every connection-state event a client emits, in order. */
function recordEvents(c: OrdoClient): { name: string; payload: unknown }[] {
  const events: { name: string; payload: unknown }[] = [];
  for (const name of ['connect', 'disconnect', 'reconnecting', 'reconnect', 'close'] as const) {
    c.on(name, (payload: ClientEvents[typeof name]) => events.push({ name, payload }));
  }
  return events;
}

/** The OrdoError a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<OrdoError> {
  const err = await p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e);
  expect(err).toBeInstanceOf(OrdoError);
  return err as OrdoError;
}

/** A port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('reconnect', () => {
  it('reconnects and resubscribes after the broker restarts on the same port', async () => {
    const b1 = await broker();
    const sub = await client(b1.url, { clientId: 'sub' });
    const pub = await client(b1.url, { clientId: 'pub' });
    const events = recordEvents(sub);
    const got: unknown[] = [];
    await sub.subscribe('r/+', (m) => { got.push(m.payload); });
    await pub.publish('r/x', 'before');
    await waitFor(() => got.length === 1);

    await b1.close();
    // Let the clients fail at least one attempt against the dead port before the broker is back.
    await waitFor(() => events.filter((e) => e.name === 'reconnecting').length >= 2, {}, 'retrying while the broker is down');
    expect(sub.state).toBe('reconnecting');
    const b2 = await broker({ port: b1.port, dataDir: b1.dataDir });
    await waitFor(() => sub.state === 'connected' && pub.state === 'connected', {}, 'both clients back');
    await waitFor(() => b2.stats().subscriptions === 1, {}, 'subscription renewed on the new broker');

    for (let i = 0; i < 20; i++) await pub.publish('r/x', i);
    await waitFor(() => got.length === 21);
    expect(got).toEqual(['before', ...Array.from({ length: 20 }, (_, i) => i)]);

    const names = events.map((e) => e.name);
    expect(names[0]).toBe('disconnect');
    expect(names.at(-1)).toBe('reconnect');
    expect(names.filter((n) => n === 'reconnect')).toHaveLength(1);
    expect(names).not.toContain('close');
    // The graceful close told the client why, with the catalogue's close status.
    const disconnect = events[0].payload as ClientEvents['disconnect'];
    expect(disconnect.code).toBe(1001);
    expect(disconnect.error?.code).toBe('ERR_SHUTTING_DOWN');
    const attempts = events.filter((e) => e.name === 'reconnecting').map((e) => (e.payload as ClientEvents['reconnecting']).attempt);
    expect(attempts).toEqual(attempts.map((_, i) => i + 1));
  });

  it('resolves a subscribe() made while disconnected once the broker is back', async () => {
    const b1 = await broker();
    const sub = await client(b1.url);
    await b1.close();
    await waitFor(() => sub.state === 'reconnecting');
    let isSubscribed = false;
    const subscribing = sub.subscribe('late/t', () => undefined).then((s) => { isSubscribed = true; return s; });
    const b2 = await broker({ port: b1.port, dataDir: b1.dataDir });
    const s = await subscribing;
    expect(isSubscribed).toBe(true);
    expect(s.pattern).toBe('late/t');
    expect(b2.stats().subscriptions).toBe(1);
  });

  it('with reconnect: false, closes the client with the error when the broker goes away', async () => {
    const b = await broker();
    const c = await client(b.url, { reconnect: false });
    const events = recordEvents(c);
    await b.close();
    await waitFor(() => c.state === 'closed');
    const close = events.find((e) => e.name === 'close')?.payload as ClientEvents['close'] | undefined;
    expect(close?.error?.code).toBe('ERR_SHUTTING_DOWN');
    expect(events.map((e) => e.name)).not.toContain('reconnecting');
    expect((await rejection(c.publish('t', 1))).code).toBe('ERR_CLOSED');
  });

  it('rejects connect() to a port nobody listens on with ERR_UNREACHABLE, without waiting for retries', async () => {
    const port = await deadPort();
    const err = await rejection(connect(`ws://127.0.0.1:${port}`));
    expect(err.code).toBe('ERR_UNREACHABLE');
  }, 5000);

  it('rejects connect() with ERR_VERSION and never retries when the broker refuses the protocol version', async () => {
    const wss = res.track(new WebSocketServer({ host: '127.0.0.1', port: 0 }), (s) => new Promise((r) => {
      for (const ws of s.clients) ws.terminate();
      s.close(r);
    }));
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    let attempts = 0;
    wss.on('connection', (ws) => {
      attempts++;
      ws.once('message', () => {
        ws.send(pack([[66, 0, 'ERR_VERSION', 'no']]));
        ws.close(1002, 'ERR_VERSION');
      });
    });
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;

    // Even a client told to keep trying on the first connect must give up on a fatal refusal.
    const c = res.track(new OrdoClient(url, { ...FAST_RETRY, waitOnFirstConnect: true }), (x) => x.close());
    const events = recordEvents(c);
    const err = await rejection(c.start());
    expect(err.code).toBe('ERR_VERSION');
    expect(c.state).toBe('closed');
    expect(attempts).toBe(1);
    expect(events.map((e) => e.name)).not.toContain('reconnecting');
    expect((events.find((e) => e.name === 'close')?.payload as ClientEvents['close']).error?.code).toBe('ERR_VERSION');

    expect((await rejection(connect(url, FAST_RETRY))).code).toBe('ERR_VERSION');
    expect(attempts).toBe(2);
  });

  it('tells every client ERR_SHUTTING_DOWN (1001) on a graceful close, and they all come back', async () => {
    const b1 = await broker();
    const clients = await Promise.all([client(b1.url), client(b1.url), client(b1.url)]);
    const disconnects: ClientEvents['disconnect'][] = [];
    for (const c of clients) c.on('disconnect', (e) => disconnects.push(e));
    await b1.close();
    await waitFor(() => disconnects.length === 3);
    for (const d of disconnects) {
      expect(d.code).toBe(1001);
      expect(d.error?.code).toBe('ERR_SHUTTING_DOWN');
    }
    const b2 = await broker({ port: b1.port, dataDir: b1.dataDir });
    await waitFor(() => clients.every((c) => c.state === 'connected'));
    expect(b2.stats().connections).toBe(3);
    const pongs = await Promise.all(clients.map((c) => c.flush()));
    expect(pongs).toHaveLength(3);
  });
});

describe('reconnect: what was pending', () => {
  it('sends publishes buffered while away after renewing subscriptions, so the client gets its own', async () => {
    const b1 = await broker();
    const port = b1.port;
    const c = await client(b1.url);
    const got: unknown[] = [];
    await c.subscribe('own/#', (m) => { got.push(m.payload); });
    await b1.close();
    await waitFor(() => c.state === 'reconnecting');
    for (let i = 0; i < 5; i++) await c.publish('own/x', i); // buffered: resolves at once
    await broker({ port });
    await waitFor(() => got.length === 5, {}, 'own buffered publishes after the reconnect');
    expect(got).toEqual([0, 1, 2, 3, 4]);
  });

  it('refuses publishes with ERR_BUFFER_FULL once the reconnect buffer is used up, and delivers what fit, in order', async () => {
    const b1 = await broker();
    const port = b1.port;
    const c = await client(b1.url, { reconnectBufferBytes: 4096 });
    const got: number[] = [];
    await c.subscribe('buf/#', (m) => { got.push((m.payload as { i: number }).i); });
    await b1.close();
    await waitFor(() => c.state === 'reconnecting');
    const filler = 'x'.repeat(200);
    let accepted = 0;
    let refusal: OrdoError | undefined;
    for (let i = 0; i < 100 && refusal === undefined; i++) {
      try {
        await c.publish('buf/x', { i, filler });
        accepted++;
      } catch (err) {
        refusal = err as OrdoError;
      }
    }
    expect(refusal?.code).toBe('ERR_BUFFER_FULL');
    expect(accepted).toBeGreaterThan(5);
    expect(accepted).toBeLessThan(100);
    await broker({ port });
    await waitFor(() => got.length === accepted, {}, 'the buffered publishes after the reconnect');
    expect(got).toEqual(Array.from({ length: accepted }, (_, i) => i));
  });

  it('fails a request still waiting for its reply with ERR_DISCONNECTED once the new connection is up', async () => {
    const b1 = await broker();
    const port = b1.port;
    const service = await client(b1.url);
    let answer: ((v: unknown) => void) | undefined;
    await service.reply('slow/svc', () => new Promise((resolve) => { answer = resolve; }));
    const caller = await client(b1.url);
    const pending = caller.request('slow/svc', 1, { timeoutMs: 20_000 });
    await waitFor(() => answer !== undefined, {}, 'the request reached the service');
    await b1.close();
    await broker({ port });
    const err = await rejection(pending);
    expect(err.code).toBe('ERR_DISCONNECTED');
    answer?.(null);
  });
});
