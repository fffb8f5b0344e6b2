import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { connect, type ConnectOptions, type OrdoClient } from '../../client/index.js';
import { makeTempDir, spawnBrokerProcess, type BrokerProcess } from '../helpers/broker.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Exactly-once end to end under chaos (issue 4's must-show). Three producers
 * send N exactly-once messages each to a queue and publish N to a topic with
 * a durable subscription, through a fault-injecting proxy that delays,
 * stalls and severs connections at random. The broker (a child process,
 * fsync durability) is SIGKILLed and restarted at random moments — on a new
 * port each time: the proxy's target follows it, the clients keep the
 * proxy's address. The consumer process records every message's effect as a
 * row in its own SQLite file; it is SIGKILLed once and restarted on the same
 * file. At the end every payload id has exactly one row per source.
 */

const res = useResources();
const CONSUMER_SCRIPT = fileURLToPath(new URL('../helpers/exactly-once-consumer.mjs', import.meta.url));
const FAST_RETRY: ConnectOptions = { reconnectDelayMs: 20, maxReconnectDelayMs: 300, waitOnFirstConnect: true };
const PRODUCERS = 3;
const N = 10_000;
/** Exactly-once operations a producer keeps unconfirmed at once. */
const WINDOW = 200;
const QUEUE = 'eo-jobs';
const DURABLE = 'eo-audit';
const CONSUMER_ID = 'eo-consumer';
/** Give up waiting for the effects this long after the start, and count what is there. */
const DEADLINE_MS = 150_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const between = (lo: number, hi: number): number => lo + Math.random() * (hi - lo);

/** The consumer process (test/helpers/exactly-once-consumer.mjs) of one incarnation. */
interface ConsumerProcess {
  readonly child: ChildProcess;
  /** Handler runs it reported so far. */
  handled(): number;
  /** Deliveries it reported its dedup store recognised (the handler not run). */
  deduped(): number;
  stderr(): string;
  readonly exited: Promise<void>;
}

async function startConsumer(url: string, dbPath: string, incarnation: number): Promise<ConsumerProcess> {
  const child = spawn(process.execPath, [CONSUMER_SCRIPT, url, dbPath, QUEUE, 'eo/#', DURABLE, CONSUMER_ID, String(incarnation)],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  res.defer(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve())); // after its last output
  let out = '';
  let err = '';
  let handled = 0;
  let deduped = 0;
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    const last = /handled (\d+) deduped (\d+)\n[^\n]*$/.exec(out);
    if (last) [handled, deduped] = [Number(last[1]), Number(last[2])];
    if (out.length > 4096) out = out.slice(-256);
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { err += s; });
  await waitFor(() => child.exitCode !== null || out.includes('ready') || handled > 0, { timeoutMs: 20_000 }, `consumer ${incarnation} ready`);
  if (child.exitCode !== null) throw new Error(`consumer ${incarnation} exited (${child.exitCode}): ${err}`);
  return { child, handled: () => handled, deduped: () => deduped, stderr: () => err, exited };
}

/** Runs `ops` operations (`op(j)` never rejects) keeping `window` of them unfinished. */
async function produce(ops: number, window: number, op: (j: number) => Promise<void>): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  for (let j = 0; j < ops; j++) {
    const p: Promise<void> = op(j).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= window) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}

/** Per source: rows, distinct ids, ids with more than one row, expected ids with none. */
function countEffects(dbPath: string): Record<'queue' | 'topic', { rows: number; lost: string[]; doubled: string[] }> {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const out = { queue: { rows: 0, lost: [] as string[], doubled: [] as string[] }, topic: { rows: 0, lost: [] as string[], doubled: [] as string[] } };
    for (const source of ['queue', 'topic'] as const) {
      const counts = new Map<string, number>();
      for (const { pid, n } of db.prepare('SELECT pid, count(*) AS n FROM effects WHERE source = ? GROUP BY pid').all(source) as { pid: string; n: number }[]) counts.set(pid, n);
      out[source].rows = [...counts.values()].reduce((a, b) => a + b, 0);
      out[source].doubled = [...counts].filter(([, n]) => n > 1).map(([pid]) => pid);
      for (let k = 0; k < PRODUCERS; k++) for (let i = 0; i < N; i++) if (!counts.has(`p${k}-${i}`)) out[source].lost.push(`p${k}-${i}`);
    }
    return out;
  } finally {
    db.close();
  }
}

function distinctEffects(dbPath: string): number {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM (SELECT DISTINCT source, pid FROM effects)').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** The rows of `pid` from `source` (`atMs`: ms after `since`, as in the timeline), for a failure's story. */
function rowsOf(dbPath: string, source: string, pid: string, since: number): unknown[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT seq, deliveries, incarnation, at - ? AS atMs FROM effects WHERE source = ? AND pid = ?').all(since, source, pid);
  } finally {
    db.close();
  }
}

describe('exactly-once under chaos', () => {
  it(`${PRODUCERS} producers × ${N} to a queue and a durable topic subscription: broker SIGKILLs, cut connections, a consumer SIGKILL`, async () => {
    const started = Date.now();
    const timeline: string[] = [];
    const note = (what: string): void => { timeline.push(`${Date.now() - started} ms: ${what}`); };
    const dataDir = await makeTempDir('ordo-eo-broker-');
    const workDir = await makeTempDir('ordo-eo-consumer-');
    res.defer(() => rm(dataDir, { recursive: true, force: true }));
    res.defer(() => rm(workDir, { recursive: true, force: true }));
    const dbPath = join(workDir, 'effects.db');

    let broker: BrokerProcess = await spawnBrokerProcess([], { dataDir });
    res.defer(() => broker.stop());
    const proxy = await startFaultProxy({ target: broker.port, maxDelayMs: 3, stallShare: 0.3, stallMs: 800, maxLifetimeMs: DEADLINE_MS + 30_000 });
    res.defer(() => proxy.close());
    const url = `ws://127.0.0.1:${proxy.port}`;
    const admin = await connect(broker.url, { reconnect: false });
    await admin.createQueue(QUEUE);
    await admin.close();

    // The durable subscription exists before anything is published to it.
    let consumer = await startConsumer(url, dbPath, 1);
    /** The consumer process running now (none between its kill and its restart). */
    let live: ConsumerProcess | undefined = consumer;
    let handledBefore = 0;
    let dedupedBefore = 0;
    const producers: OrdoClient[] = [];
    for (let k = 0; k < PRODUCERS; k++) {
      producers.push(res.track(await connect(url, { ...FAST_RETRY, clientId: `eo-p${k}`, producerId: `eo-p${k}` }), (c) => c.close()));
    }
    proxy.setFaults(2500);
    note('faults on');

    let confirmed = 0;
    const rejected: string[] = [];
    const producing = Promise.all(producers.map((c, k) => produce(2 * N, WINDOW, (j) => {
      const pid = `p${k}-${j >> 1}`;
      const sent = j % 2 === 0
        ? c.send(QUEUE, { pid }, { qos: 'exactly-once' })
        : c.publish(`eo/p${k}`, { pid }, { qos: 'exactly-once' });
      return sent.then(() => { confirmed++; }, (err: { code?: string }) => { rejected.push(`${j % 2 === 0 ? 'queue' : 'topic'} ${pid}: ${err.code}`); });
    })));
    const total = 2 * PRODUCERS * N;
    const effects = (): number => handledBefore + (live?.handled() ?? 0);
    const until = (what: string, value: () => number, at: number): Promise<void> =>
      waitFor(() => value() >= at, { timeoutMs: DEADLINE_MS, intervalMs: 20 }, `${what} reach ${Math.round(at)} (now ${value()})`);

    // Four broker kills at random moments: two while the producers send, two while the consumer
    // works through the rest (it lags behind the producers).
    let kills = 0;
    const killing = (async () => {
      const points: [string, () => number, number][] = [
        ['confirms', () => confirmed, between(0.1, 0.45) * total],
        ['confirms', () => confirmed, between(0.55, 0.9) * total],
        ['effects', effects, between(0.35, 0.6) * total],
        ['effects', effects, between(0.65, 0.9) * total],
      ];
      for (const [what, value, at] of points) {
        // Some work between two kills, wherever the random points fell.
        await until(what, value, Math.min(Math.max(at, value() + 0.03 * total), 0.95 * total));
        await broker.kill('SIGKILL');
        kills++;
        note(`broker SIGKILLed (${confirmed} confirmed, ${effects()} effects)`);
        await sleep(between(50, 400));
        broker = await spawnBrokerProcess([], { dataDir, startTimeoutMs: 30_000 });
        proxy.setTarget(broker.port);
        note(`broker restarted on port ${broker.port}`);
      }
    })();
    // The consumer: SIGKILLed once, restarted on the same SQLite file (its dedup store and effects).
    let consumerKills = 0;
    const consumerChaos = (async () => {
      await until('effects', effects, between(0.3, 0.7) * total);
      live = undefined;
      consumer.child.kill('SIGKILL');
      await consumer.exited;
      consumerKills++;
      handledBefore += consumer.handled();
      dedupedBefore += consumer.deduped();
      note(`consumer SIGKILLed after ${consumer.handled()} handler runs`);
      await sleep(between(50, 500));
      consumer = await startConsumer(url, dbPath, 2);
      live = consumer;
      note('consumer restarted');
    })();

    void producing.then(() => note(`producers done: ${confirmed} confirmed, ${rejected.length} rejected`));
    // A fault task that gives up (progress stalled: messages lost?) still lets the counts be taken.
    const chaosErrors = (await Promise.allSettled([producing, killing, consumerChaos]))
      .flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    for (const err of chaosErrors) note(`fault task failed: ${err}`);
    await waitFor(() => distinctEffects(dbPath) >= total, { timeoutMs: Math.max(1000, started + DEADLINE_MS - Date.now()), intervalMs: 500 })
      .catch((err: Error) => note(`gave up waiting: ${err.message}`));
    note(`effects present: ${distinctEffects(dbPath)}`);
    // Let what is still in flight settle (a redelivery to the dedup store, a late COMPLETE), then stop.
    proxy.setFaults(null);
    const direct = res.track(await connect(broker.url, { reconnect: false }), (c) => c.close());
    const waiting = async (): Promise<number> =>
      (await direct.queueInfo(QUEUE)).total + (await direct.queueInfo(`$durable/${CONSUMER_ID}/${DURABLE}`)).total;
    await waitFor(async () => await waiting() === 0, { timeoutMs: 15_000, intervalMs: 200 })
      .catch(async () => note(`still in the broker: ${await waiting()}`));
    consumer.child.kill('SIGTERM');
    await Promise.race([consumer.exited, sleep(5000)]);
    const deduped = dedupedBefore + consumer.deduped();

    const counts = countEffects(dbPath);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const line = (s: 'queue' | 'topic'): string =>
      `${s} ${counts[s].rows} effects, ${counts[s].lost.length} lost, ${counts[s].doubled.length} doubled`;
    console.log(`exactly-once chaos: ${line('queue')}; ${line('topic')} ` +
      `(${kills} broker kills, ${proxy.stats.severed} connections severed of which ${proxy.stats.stalled} stalled first, ` +
      `${consumerKills} consumer kill, ${deduped} redeliveries recognised by the dedup store; ${seconds} s)`);
    const story = (s: 'queue' | 'topic'): string => [
      ...counts[s].doubled.slice(0, 5).map((pid) => `doubled ${s} ${pid}: ${JSON.stringify(rowsOf(dbPath, s, pid, started))}`),
      ...counts[s].lost.slice(0, 5).map((pid) => `lost ${s} ${pid}`),
    ].join('\n');
    const context = `\n${story('queue')}\n${story('topic')}\ntimeline:\n${timeline.join('\n')}\nrejected: ${rejected.slice(0, 5).join(', ')}` +
      `\nconsumer stderr: ${consumer.stderr().slice(-2000)}`;

    expect(rejected, `exactly-once sends refused${context}`).toEqual([]);
    expect(counts.queue.lost.length, `queue lost${context}`).toBe(0);
    expect(counts.queue.doubled.length, `queue doubled${context}`).toBe(0);
    expect(counts.topic.lost.length, `topic lost${context}`).toBe(0);
    expect(counts.topic.doubled.length, `topic doubled${context}`).toBe(0);
    // The faults happened.
    expect(chaosErrors, `fault tasks${context}`).toEqual([]);
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(consumerKills).toBe(1);
    expect(proxy.stats.severed, 'connections severed by the proxy').toBeGreaterThanOrEqual(5);
    // And they mattered: deliveries whose effect had happened came again, and the store absorbed them.
    expect(deduped, 'redeliveries recognised by the dedup store').toBeGreaterThan(0);
  }, DEADLINE_MS + 30_000);
});
