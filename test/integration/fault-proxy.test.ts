import { connect as tcpConnect, createServer, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * The fault-injecting proxy of the fault tests (test/helpers/fault-proxy.ts),
 * against plain TCP echo servers on 127.0.0.1: it must pass bytes through
 * unchanged and in order whatever it delays, and its faults must end both
 * sides of a connection.
 */

const res = useResources();

interface EchoServer {
  readonly port: number;
  /** The server side of every connection accepted so far. */
  readonly accepted: Socket[];
}

async function echoServer(): Promise<EchoServer> {
  const accepted: Socket[] = [];
  const server: Server = createServer((s) => {
    accepted.push(s);
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  res.defer(() => new Promise<void>((resolve) => {
    for (const s of accepted) s.destroy();
    server.close(() => resolve());
  }));
  return { port: (server.address() as { port: number }).port, accepted };
}

async function proxy(options: Parameters<typeof startFaultProxy>[0]): Promise<FaultProxy> {
  return res.track(await startFaultProxy(options), (p) => p.close());
}

/** A client socket through `p`, collecting what it receives and whether it closed. */
async function dial(p: FaultProxy): Promise<{ socket: Socket; received: () => Buffer; isClosed: () => boolean }> {
  const socket = tcpConnect({ host: '127.0.0.1', port: p.port });
  res.defer(() => socket.destroy());
  const chunks: Buffer[] = [];
  let isClosed = false;
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => undefined);
  socket.on('close', () => { isClosed = true; });
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  return { socket, received: () => Buffer.concat(chunks), isClosed: () => isClosed };
}

describe('fault proxy', () => {
  it('passes bytes through in order, each way, under random delays and backpressure', async () => {
    const echo = await echoServer();
    const p = await proxy({ target: echo.port, maxDelayMs: 5 });
    const c = await dial(p);
    // Many small writes (each may become its own chunk and delay), then one large one.
    const parts: Buffer[] = [];
    for (let i = 0; i < 2000; i++) parts.push(Buffer.from(`${i},`));
    const big = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    parts.push(big);
    for (const part of parts) c.socket.write(part);
    const sent = Buffer.concat(parts);
    await waitFor(() => c.received().length >= sent.length, { timeoutMs: 20_000 }, 'everything echoed');
    expect(c.received().equals(sent)).toBe(true);
    expect(p.stats.bytesUp).toBe(sent.length);
    expect(p.stats.bytesDown).toBe(sent.length);
    expect(p.stats.severed).toBe(0);
  });

  it('sever closes both sides of every connection', async () => {
    const echo = await echoServer();
    const p = await proxy({ target: echo.port });
    const a = await dial(p);
    const b = await dial(p);
    await waitFor(() => echo.accepted.length === 2 && p.open === 2);
    expect(p.severAll()).toBe(2);
    await waitFor(() => a.isClosed() && b.isClosed(), {}, 'client sides closed');
    await waitFor(() => echo.accepted.every((s) => s.destroyed), {}, 'server sides closed');
    expect(p.stats.severed).toBe(2);
    expect(p.open).toBe(0);
  });

  it('a stall ("drop") forwards nothing for stallMs, then severs the connection', async () => {
    const echo = await echoServer();
    const p = await proxy({ target: echo.port, meanFaultMs: 1, stallShare: 1, stallMs: 300 });
    const c = await dial(p);
    await waitFor(() => p.stats.stalled === 1, {}, 'the connection stalled');
    c.socket.write('lost');
    await waitFor(() => c.isClosed(), {}, 'severed after the stall');
    expect(c.received().length).toBe(0);
    expect(p.stats.severed).toBe(1);
    await waitFor(() => echo.accepted.every((s) => s.destroyed), {}, 'server side closed');
  });

  it('random severs end connections at the configured rate, and setFaults(null) stops them', async () => {
    const echo = await echoServer();
    const p = await proxy({ target: echo.port, meanFaultMs: 20, stallShare: 0 });
    const dialed = await Promise.all(Array.from({ length: 5 }, () => dial(p)));
    await waitFor(() => dialed.every((c) => c.isClosed()), {}, 'every connection severed');
    expect(p.stats.severed).toBe(5);
    p.setFaults(null);
    const calm = await dial(p);
    calm.socket.write('still here');
    await waitFor(() => calm.received().toString() === 'still here');
    expect(calm.isClosed()).toBe(false);
  });

  it('new connections follow setTarget; a dead target closes the client side', async () => {
    const first = await echoServer();
    const second = await echoServer();
    const p = await proxy({ target: first.port });
    await dial(p);
    p.setTarget(second.port);
    await dial(p);
    await waitFor(() => first.accepted.length === 1 && second.accepted.length === 1);
    // A port nothing listens on any more: the broker is down.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    p.setTarget((closed.address() as { port: number }).port);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const c = await dial(p);
    await waitFor(() => c.isClosed(), {}, 'client side closed');
    expect(p.stats.refused).toBe(1);
  });

  it('closes itself after maxLifetimeMs', async () => {
    const echo = await echoServer();
    const p = await proxy({ target: echo.port, maxLifetimeMs: 200 });
    const c = await dial(p);
    await waitFor(() => c.isClosed(), {}, 'the proxy ended its connection');
    const late = tcpConnect({ host: '127.0.0.1', port: p.port });
    await expect(new Promise((resolve, reject) => { late.once('connect', resolve); late.once('error', reject); }))
      .rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
