import { execFileSync } from 'node:child_process';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connect, type ConnectOptions, type Message } from '../../client/index.js';
import type { StartBrokerOptions } from '../../broker/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { useResources } from '../helpers/resources.js';
import { makeTestCerts, type TestCerts } from '../helpers/test-certs.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Slowloris: sockets that connect and never finish the TLS handshake, the
 * HTTP upgrade or the HELLO are closed by the broker after
 * limits.handshakeTimeoutMs, and the broker serves other clients meanwhile.
 */

const TIMEOUT_MS = 500;
/**
 * A generous upper bound from open to close: the upgrade deadline, then
 * (for WebSockets) the HELLO deadline, plus scheduling on a loaded machine.
 * It proves the sockets are closed by the timeouts, not how fast.
 */
const CLOSE_BOUND_MS = 2 * TIMEOUT_MS + 5_000;

const res = useResources();
let certs: TestCerts;
beforeAll(async () => { certs = await makeTestCerts(); });
afterAll(async () => { await certs?.cleanup(); });

/** A socket opened by the test: told when it closes, destroyed at the end of the test. */
interface Handle {
  onClose(cb: () => void): void;
  destroy(): void;
}

/** When a socket opened and (once it has) closed, seen from the client. */
interface Watched {
  readonly kind: string;
  readonly openedAt: number;
  closedAt?: number;
}

class IdleSockets {
  readonly all: Watched[] = [];
  private readonly closers: (() => void)[] = [];

  get openCount(): number {
    return this.all.filter((w) => w.closedAt === undefined).length;
  }

  /**
   * Opens `count` sockets with `open`, `batch` at a time (the listen backlog
   * is finite). A socket counts as open from before its connect, so the
   * broker's deadline (from its accept) can only end later than that. On a
   * loaded machine the broker may close a socket before it has finished
   * opening (a 408, a reset): that is a close too, and the bounds checked
   * later tell a timeout from an instant refusal.
   */
  async open(kind: string, count: number, open: () => Promise<Handle>, batch = 100): Promise<void> {
    for (let done = 0; done < count; done += batch) {
      await Promise.all(Array.from({ length: Math.min(batch, count - done) }, async () => {
        const w: Watched = { kind, openedAt: Date.now() };
        this.all.push(w);
        try {
          const s = await open();
          this.closers.push(s.destroy);
          s.onClose(() => { w.closedAt = Date.now(); });
        } catch {
          w.closedAt = Date.now();
        }
      }));
    }
  }

  destroyAll(): void {
    for (const close of this.closers.splice(0)) close();
  }
}

function track(idle: IdleSockets): IdleSockets {
  return res.track(idle, (i) => i.destroyAll());
}

async function broker(opts: StartBrokerOptions = {}): Promise<TestBroker> {
  return res.track(await startTestBroker({ ...opts, limits: { handshakeTimeoutMs: TIMEOUT_MS } }), (b) => b.cleanup());
}

/** A TCP socket that connected and, after `first` (if any), sends nothing. */
function rawSocket(port: number, first?: string): Promise<Handle> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ host: '127.0.0.1', port });
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      s.on('error', () => { /* a reset by the broker: close follows */ });
      if (first !== undefined) s.write(first);
      resolve(socketHandle(s));
    });
  });
}

function socketHandle(s: Socket): Handle {
  s.resume(); // read (and drop) whatever the broker answers, e.g. a 408
  return { onClose: (cb) => s.once('close', cb), destroy: () => s.destroy() };
}

/** A WebSocket that completes the upgrade and never says HELLO. */
function silentWebSocket(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<Handle> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
    ws.once('error', reject);
    ws.once('open', () => {
      ws.off('error', reject);
      ws.on('error', () => { /* close follows */ });
      resolve({ onClose: (cb) => ws.once('close', cb), destroy: () => ws.terminate() });
    });
  });
}

/** How many sockets this process may open here: each idle socket costs two descriptors (both ends are in this process). */
function socketBudget(wanted: number): number {
  const limit = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  if (!Number.isFinite(limit)) return wanted; // 'unlimited'
  return Math.min(wanted, Math.floor((limit - 500) / 2));
}

/** A normal client connects, publishes at-least-once and receives it. */
async function serves(url: string, topic: string, opts: ConnectOptions = {}): Promise<void> {
  const c = res.track(await connect(url, { reconnect: false, ...opts }), (x) => x.close());
  const got: Message[] = [];
  await c.subscribe(topic, (m) => { got.push(m); });
  await c.publish(topic, 'still serving', { qos: 'at-least-once' });
  await waitFor(() => got.length === 1, {}, `delivery on ${topic}`);
  expect(got[0].payload).toBe('still serving');
}

/** Every socket closed, none earlier than the timeout could have closed it, none later than the bound. */
async function expectAllClosedByTimeout(idle: IdleSockets): Promise<void> {
  await waitFor(() => idle.openCount === 0, { timeoutMs: CLOSE_BOUND_MS + 5_000 }, 'every idle socket is closed by the broker');
  for (const w of idle.all) {
    const lived = w.closedAt! - w.openedAt;
    expect(lived, `${w.kind} lived ${lived} ms`).toBeLessThanOrEqual(CLOSE_BOUND_MS);
    // Half the timeout (timers are not exact) tells the timeout from an instant refusal.
    expect(lived, `${w.kind} closed before the handshake timeout`).toBeGreaterThanOrEqual(TIMEOUT_MS / 2);
  }
}

describe('idle sockets (slowloris)', () => {
  it('closes 1,000 sockets that never complete the handshake, and keeps serving while they are open', async () => {
    const total = socketBudget(1000);
    expect(total, 'the descriptor limit leaves room for the test').toBeGreaterThanOrEqual(200);
    const b = await broker();
    const idle = track(new IdleSockets());
    const third = Math.floor(total / 3);
    // Slowest to open first, so most are still open when the normal client comes.
    await idle.open('websocket without hello', third, () => silentWebSocket(b.url), 50);
    await idle.open('half an HTTP request', third, () => rawSocket(b.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n'));
    await idle.open('silent TCP', total - 2 * third, () => rawSocket(b.port), 200);
    expect(idle.all).toHaveLength(total);
    const openWhileServing = idle.openCount;
    await serves(b.url, 'idle/serving');
    expect(openWhileServing, 'idle sockets were open while the client was served').toBeGreaterThan(0);

    await expectAllClosedByTimeout(idle);
    expect(b.stats().connections).toBe(1); // the normal client only
    await serves(b.url, 'idle/after');
  });

  it('closes a request trickled a byte at a time: the deadline counts from the connect, not from the last byte', async () => {
    const b = await broker();
    const idle = track(new IdleSockets());
    const trickles: ReturnType<typeof setInterval>[] = [];
    res.defer(() => { for (const t of trickles) clearInterval(t); });
    await idle.open('trickled request', 5, async () => {
      const s = await new Promise<Socket>((resolve, reject) => {
        const sock = tcpConnect({ host: '127.0.0.1', port: b.port }, () => resolve(sock)).once('error', reject);
      });
      s.on('error', () => undefined);
      s.write('GET / HTTP/1.1\r\nX-Slow: ');
      trickles.push(setInterval(() => { if (s.writable) s.write('a'); }, TIMEOUT_MS / 8));
      return socketHandle(s);
    });
    await expectAllClosedByTimeout(idle);
  });

  it('over TLS: closes sockets that never start or never finish the TLS handshake, or stop after it', async () => {
    const b = await broker({ tls: { cert: certs.serverCertFile, key: certs.serverKeyFile } });
    const idle = track(new IdleSockets());
    await idle.open('silent TCP on the TLS port', 100, () => rawSocket(b.port));
    await idle.open('half a TLS ClientHello', 50, () => rawSocket(b.port, '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03'));
    await idle.open('TLS without HTTP', 100, () => new Promise((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port: b.port, ca: certs.ca });
      s.once('error', reject);
      s.once('secureConnect', () => {
        s.off('error', reject);
        s.on('error', () => undefined);
        resolve(socketHandle(s));
      });
    }));
    await idle.open('wss without hello', 50, () => silentWebSocket(b.url, { ca: certs.ca }));
    const openWhileServing = idle.openCount;
    await serves(b.url, 'idle/tls', { tls: { ca: certs.ca } });
    expect(openWhileServing).toBeGreaterThan(0);
    await expectAllClosedByTimeout(idle);
    expect(b.stats().connections).toBe(1);
  });
});
