import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect, type ConnectOptions, type OrdoClient } from '../../client/index.js';
import { makeTempDir, spawnBrokerProcess, type BrokerProcess } from '../helpers/broker.js';
import { ConsumerFleet, countEffects, distinctEffects, longestWaitMs, rowsOf, type Source } from '../helpers/exactly-once-consumers.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { between, produce, sleep } from '../helpers/load.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Exactly-once end to end under chaos (issue 4's must-show). Three producers
 * send N exactly-once messages each to a queue and publish N to a topic with
 * a durable subscription, through a fault-injecting proxy that delays,
 * stalls and severs connections at random. The broker (a child process,
 * fsync durability) is SIGKILLed and restarted at random moments — on a new
 * port each time: the proxy's target follows it, the clients keep the
 * proxy's address. Two consumer processes compete for both queues (one
 * client id and durable name: one `$durable/…` queue) and share one SQLite
 * file — one dedup store, one table of effects, a row per handler run
 * [semantics 1.3, "One queue, one dedup store"]. Each is SIGKILLed once, at
 * another moment, and restarted on the same file while the other goes on.
 * At the end every payload id has exactly one row per source.
 */

const res = useResources();
const FAST_RETRY: ConnectOptions = { reconnectDelayMs: 20, maxReconnectDelayMs: 300, waitOnFirstConnect: true };
const PRODUCERS = 3;
const N = 10_000;
/** Exactly-once operations a producer keeps unconfirmed at once. */
const WINDOW = 200;
const QUEUE = 'eo-jobs';
const DURABLE = 'eo-audit';
const CONSUMER_ID = 'eo-consumer';
/** Consumer processes running at once on the one SQLite file. */
const CONSUMERS = 2;
/** Give up waiting for the effects this long after the start, and count what is there. */
const DEADLINE_MS = 150_000;

describe('exactly-once under chaos', () => {
  it(`${PRODUCERS} producers × ${N} to a queue and a durable topic subscription, ${CONSUMERS} consumer processes on one dedup file: broker SIGKILLs, cut connections, consumer SIGKILLs`, async () => {
    const started = Date.now();
    const timeline: { at: number; what: string }[] = [];
    const note = (what: string): void => { timeline.push({ at: Date.now() - started, what }); };
    const dataDir = await makeTempDir('ordo-eo-broker-');
    const workDir = await makeTempDir('ordo-eo-consumer-');
    res.defer(() => rm(dataDir, { recursive: true, force: true }));
    res.defer(() => rm(workDir, { recursive: true, force: true }));
    const dbPath = join(workDir, 'effects.db');

    let broker: BrokerProcess = await spawnBrokerProcess([], { dataDir });
    res.defer(() => broker.stop());
    /** The proxy's random faults, kept apart from the timeline (dozens): only a failure's story shows them. */
    const proxyFaults: { at: number; what: string }[] = [];
    const proxy = await startFaultProxy({
      target: broker.port, maxDelayMs: 3, stallShare: 0.3, stallMs: 800, maxLifetimeMs: DEADLINE_MS + 30_000,
      onFault: (kind) => proxyFaults.push({ at: Date.now() - started, what: `proxy ${kind}` }),
    });
    res.defer(() => proxy.close());
    const url = `ws://127.0.0.1:${proxy.port}`;
    const admin = await connect(broker.url, { reconnect: false });
    await admin.createQueue(QUEUE);
    await admin.close();

    // The durable subscription exists before anything is published to it.
    const fleet = await ConsumerFleet.start(res, { url, dbPath, queue: QUEUE, pattern: 'eo/#', durable: DURABLE, clientId: CONSUMER_ID, since: started }, CONSUMERS);
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
    const effects = (): number => fleet.handled();
    /** Waits for `value` to reach `at`, or to gain 3 % of the total since the last call, whichever is more (≤ 95 %). */
    const until = (what: string, value: () => number, at: number): Promise<void> => {
      const target = Math.round(Math.min(Math.max(at, value() + 0.03 * total), 0.95 * total));
      return waitFor(() => value() >= target, { timeoutMs: DEADLINE_MS, intervalMs: 20 }, `${what} reach ${target} (now ${value()})`);
    };

    // Four broker kills at random moments: two while the producers send, two while the consumers
    // work through the rest (they lag behind the producers).
    let kills = 0;
    const killing = (async () => {
      const points: [string, () => number, number][] = [
        ['confirms', () => confirmed, between(0.1, 0.45) * total],
        ['confirms', () => confirmed, between(0.55, 0.9) * total],
        ['effects', effects, between(0.35, 0.6) * total],
        ['effects', effects, between(0.65, 0.9) * total],
      ];
      for (const [what, value, at] of points) {
        await until(what, value, at);
        await broker.kill('SIGKILL');
        kills++;
        note(`broker SIGKILLed (${confirmed} confirmed, ${effects()} effects)`);
        await sleep(between(50, 400));
        broker = await spawnBrokerProcess([], { dataDir, startTimeoutMs: 30_000 });
        proxy.setTarget(broker.port);
        note(`broker restarted on port ${broker.port}`);
      }
    })();
    // Each consumer slot SIGKILLed once (random order, random moments) and restarted on the same
    // file, while the other process goes on: it gets the deliveries the dead one held.
    let consumerKills = 0;
    const consumerChaos = (async () => {
      const first = Math.floor(Math.random() * CONSUMERS);
      for (const [k, at] of [[0, between(0.2, 0.45)], [1, between(0.55, 0.85)]]) {
        const slot = (first + k) % CONSUMERS;
        await until('effects', effects, at * total);
        const killed = await fleet.kill(slot);
        consumerKills++;
        note(`consumer #${killed.incarnation} SIGKILLed after ${killed.handled()} handler runs`);
        await sleep(between(50, 500));
        note(`consumer #${(await fleet.restart(slot)).incarnation} started on the same file`);
      }
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
    await fleet.stop();

    const expected = Array.from({ length: PRODUCERS * N }, (_, i) => `p${Math.floor(i / N)}-${i % N}`);
    const counts = countEffects(dbPath, expected);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const line = (s: Source): string => `${s} ${counts[s].rows} effects, ${counts[s].lost.length} lost, ${counts[s].doubled.length} doubled`;
    console.log(`exactly-once chaos: ${line('queue')}; ${line('topic')} ` +
      `(${kills} broker kills, ${proxy.stats.severed} connections severed of which ${proxy.stats.stalled} stalled first, ` +
      `${consumerKills} consumer kills, handler runs per consumer process ${fleet.describe()}, ` +
      `${fleet.deduped()} redeliveries recognised by the dedup store, longest wait of a held delivery for the store ${longestWaitMs(dbPath)} ms; ` +
      `${seconds} s)`);
    /** A doubled id's rows, and every fault from 2 s before the first was asked for to the last run. */
    const doubledStory = (s: Source, pid: string): string => {
      const rows = rowsOf(dbPath, s, pid, started);
      const from = Math.min(...rows.map((r) => r.askedMs)) - 2000;
      const faults = [...timeline, ...proxyFaults].filter((f) => f.at >= from && f.at <= rows.at(-1)!.atMs)
        .sort((a, b) => a.at - b.at).map((f) => `${f.at} ms ${f.what}`);
      return `doubled ${s} ${pid}: ${JSON.stringify(rows)}; faults: ${faults.join('; ') || 'none'}`;
    };
    const story = (s: Source): string => [
      ...counts[s].doubled.slice(0, 5).map((pid) => doubledStory(s, pid)),
      ...counts[s].lost.slice(0, 5).map((pid) => `lost ${s} ${pid}`),
    ].join('\n');
    const context = `\n${story('queue')}\n${story('topic')}\ntimeline:\n${timeline.map((t) => `${t.at} ms: ${t.what}`).join('\n')}` +
      `\nrejected: ${rejected.slice(0, 5).join(', ')}\nconsumer stderr:\n${fleet.stderr()}`;

    expect(rejected, `exactly-once sends refused${context}`).toEqual([]);
    expect(counts.queue.lost.length, `queue lost${context}`).toBe(0);
    expect(counts.queue.doubled.length, `queue doubled${context}`).toBe(0);
    expect(counts.topic.lost.length, `topic lost${context}`).toBe(0);
    expect(counts.topic.doubled.length, `topic doubled${context}`).toBe(0);
    // The faults happened.
    expect(chaosErrors, `fault tasks${context}`).toEqual([]);
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(consumerKills).toBe(2);
    expect(proxy.stats.severed, 'connections severed by the proxy').toBeGreaterThanOrEqual(5);
    // And they mattered: deliveries whose effect had happened came again, and the store absorbed them.
    expect(fleet.deduped(), 'redeliveries recognised by the dedup store').toBeGreaterThan(0);
  }, DEADLINE_MS + 30_000);
});
