import { spawn, type ChildProcess } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect, type ConnectOptions, type OrdoClient } from '../../client/index.js';
import { makeTempDir, spawnBrokerProcess, startTestBroker, type BrokerProcess } from '../helpers/broker.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';

const res = useResources();
const FAST_RETRY: ConnectOptions = { reconnectDelayMs: 20, maxReconnectDelayMs: 200 };
/** The built SDK (npm run build), as an application would load it. */
const SDK_URL = new URL('../../dist/client/index.js', import.meta.url).href;

async function client(url: string, clientId: string): Promise<OrdoClient> {
  return res.track(await connect(url, { ...FAST_RETRY, clientId }), (c) => c.close());
}

async function brokerProcess(opts: { port?: number; dataDir?: string } = {}): Promise<BrokerProcess> {
  return res.track(await spawnBrokerProcess([], opts), (b) => b.stop());
}

describe('broker killed with SIGKILL', () => {
  it('clients reconnect on their own to the restarted broker, and what is published after arrives complete, in order, once', async () => {
    const b1 = await brokerProcess();
    const sub = await client(b1.url, 'sub');
    const pub = await client(b1.url, 'pub');
    const got: { epoch: string; i: number }[] = [];
    await sub.subscribe<{ epoch: string; i: number }>('k/+', (m) => { got.push(m.payload); });

    // Traffic in flight when the broker dies.
    const n = 500;
    for (let i = 0; i < n; i++) await pub.publish('k/x', { epoch: 'before', i });
    await waitFor(() => got.length >= 1);
    const inFlight = (async () => {
      for (let i = n; i < 4 * n; i++) await pub.publish('k/x', { epoch: 'before', i }).catch(() => undefined);
    })();
    await b1.kill('SIGKILL');
    await inFlight;
    await waitFor(() => sub.state === 'reconnecting' && pub.state === 'reconnecting', {}, 'both clients noticed');

    const b2 = await brokerProcess({ port: b1.port, dataDir: b1.dataDir });
    await waitFor(() => sub.state === 'connected' && pub.state === 'connected', { timeoutMs: 8000 }, 'both clients reconnected');
    // The subscriber renewed its subscription on the new broker process.
    await waitFor(async () => (await pub.stats()).subscriptions >= 1, {}, 'subscription renewed');
    expect(b2.url).toBe(b1.url);

    for (let i = 0; i < n; i++) await pub.publish('k/x', { epoch: 'after', i });
    await waitFor(() => got.filter((m) => m.epoch === 'after').length >= n, { timeoutMs: 8000 },
      `got ${got.filter((m) => m.epoch === 'after').length} of ${n} after the restart`);
    await pub.flush();

    const after = got.filter((m) => m.epoch === 'after').map((m) => m.i);
    expect(after).toEqual(Array.from({ length: n }, (_, i) => i));
    // At-most-once: what was in flight may be lost (or, if the publisher's
    // reconnect buffer held it, arrive late), but nothing arrives twice and
    // one publisher's messages never overtake each other.
    const before = got.filter((m) => m.epoch === 'before').map((m) => m.i);
    expect(new Set(before).size).toBe(before.length);
    expect(before).toEqual([...before].sort((a, b) => a - b));
    const firstAfter = got.findIndex((m) => m.epoch === 'after');
    expect(got.slice(firstAfter).every((m) => m.epoch === 'after')).toBe(true);
  });
});

/** Starts a node process that connects with the built SDK, subscribes, and prints `ready`. */
async function spawnSubscriberProcess(url: string, clientId: string): Promise<ChildProcess> {
  const script = `
    import { connect } from ${JSON.stringify(SDK_URL)};
    const c = await connect(${JSON.stringify(url)}, { clientId: ${JSON.stringify(clientId)}, reconnect: false });
    let n = 0;
    await c.subscribe('feed/#', () => { n++; });
    process.stdout.write('ready\\n');
    setInterval(() => {}, 1000);
  `;
  const child = res.track(
    spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] }),
    (p) => { if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); },
  );
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => { out += s; });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { err += s; });
  await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`subscriber process exited: ${err}`);
    return out.includes('ready');
  }, { timeoutMs: 8000 }, 'subscriber process ready');
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

describe('client process killed', () => {
  it('a SIGKILLed subscriber is noticed and dropped, and the broker keeps serving the others', async () => {
    const b = res.track(await startTestBroker(), (x) => x.cleanup());
    const survivor = await client(b.url, 'survivor');
    const got: number[] = [];
    await survivor.subscribe<number>('feed/#', (m) => { got.push(m.payload); });
    const pub = await client(b.url, 'pub');
    const victim = await spawnSubscriberProcess(b.url, 'victim');
    await waitFor(() => b.stats().connectionList.some((c) => c.clientId === 'victim' && c.subscriptions === 1));
    expect(b.stats().connections).toBe(3);

    // Keep publishing to the victim's pattern while it dies.
    const n = 2000;
    const publishing = (async () => { for (let i = 0; i < n; i++) await pub.publish('feed/x', i); })();
    victim.kill('SIGKILL');
    await exited(victim);
    await publishing;
    await waitFor(() => b.stats().connections === 2, {}, 'broker dropped the dead client');
    expect(b.stats().connectionList.map((c) => c.clientId).sort()).toEqual(['pub', 'survivor']);
    expect(b.stats().subscriptions).toBe(1);

    await waitFor(() => got.length === n);
    expect(got).toEqual(Array.from({ length: n }, (_, i) => i));
    await pub.publish('feed/y', n);
    await waitFor(() => got.length === n + 1);
  });

  it('a frozen (SIGSTOPped) subscriber is dropped by the heartbeat', async () => {
    const b = res.track(await startTestBroker({ heartbeatMs: 200 }), (x) => x.cleanup());
    const survivor = await client(b.url, 'survivor');
    const frozen = await spawnSubscriberProcess(b.url, 'frozen');
    res.defer(() => { frozen.kill('SIGCONT'); });
    await waitFor(() => b.stats().connections === 2);
    frozen.kill('SIGSTOP');
    // Its socket stays open (the kernel still holds it) but it answers no pings.
    await waitFor(() => b.stats().connections === 1, {}, 'heartbeat dropped the frozen client');
    expect(b.stats().connectionList.map((c) => c.clientId)).toEqual(['survivor']);
    expect(survivor.state).toBe('connected');
    await survivor.flush();
  });
});

describe('broker frozen (SIGSTOP): the client gives up on it by heartbeat', () => {
  it('notices within a few heartbeats, not after a closing handshake that never comes, and reconnects once it thaws', async () => {
    const dir = await makeTempDir();
    res.defer(() => rm(dir, { recursive: true, force: true }));
    const config = join(dir, 'ordo.json');
    await writeFile(config, JSON.stringify({ heartbeatMs: 200 }));
    const b = await res.track(await spawnBrokerProcess(['--config', config]), (x) => x.stop());
    const c = await client(b.url, 'watcher');
    expect(c.welcome?.heartbeatMs).toBe(200);
    b.child.kill('SIGSTOP');
    res.defer(() => { b.child.kill('SIGCONT'); });
    // ws's closing handshake alone would wait 30 s; the heartbeat must not.
    await waitFor(() => c.state === 'reconnecting', { timeoutMs: 5000 }, 'the client noticed the frozen broker');
    b.child.kill('SIGCONT');
    await waitFor(() => c.state === 'connected', { timeoutMs: 10_000 }, 'reconnected after the broker thawed');
    await c.flush();
  });
});
