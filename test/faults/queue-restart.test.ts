import { describe, expect, it } from 'vitest';
import { connect, type OrdoClient, type QueuedMessage, type QueueInfo, type SendOptions } from '../../client/index.js';
import { spawnBrokerProcess, type BrokerProcess } from '../helpers/broker.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Issue 3's must-show: a queue survives `ordo broker` restarts (SIGTERM and
 * SIGKILL) with its depth, TTLs, delays and priorities intact, and a message
 * past its TTL is never delivered.
 */

const res = useResources();
const QUEUE = 'restart-q';
/** Long enough to outlast the sends and the restart of a broker process on a loaded machine. */
const DELAY_MS = 8000;
/** Over before the restarted broker is up. */
const SHORT_TTL_MS = 500;
const LONG_TTL_MS = 10 * 60_000;
const SETTINGS = { maxLength: 1000, ackDeadlineMs: 20_000, maxDeliveries: 4 };

/** What is sent, in this order: mixed priorities, delays and TTLs. */
const PLAN: readonly (SendOptions & { name: string })[] = [
  { name: 'p0-a', priority: 0 },
  { name: 'p5-long-ttl-a', priority: 5, ttlMs: LONG_TTL_MS },
  { name: 'short-ttl-p9', priority: 9, ttlMs: SHORT_TTL_MS },
  { name: 'delayed-p9', priority: 9, delayMs: DELAY_MS },
  { name: 'p9', priority: 9 },
  { name: 'p0-b', priority: 0 },
  { name: 'delayed-p0-long-ttl', priority: 0, delayMs: DELAY_MS, ttlMs: LONG_TTL_MS },
  { name: 'short-ttl-p0', priority: 0, ttlMs: SHORT_TTL_MS },
  { name: 'p5-long-ttl-b', priority: 5, ttlMs: LONG_TTL_MS },
  // Expires long before its delay is over: never deliverable.
  { name: 'short-ttl-delayed', priority: 9, delayMs: DELAY_MS, ttlMs: SHORT_TTL_MS },
  { name: 'p3', priority: 3 },
];

/** Highest priority first, then oldest; the delayed ones once their delay is over. */
const READY_ORDER = ['p9', 'p5-long-ttl-a', 'p5-long-ttl-b', 'p3', 'p0-a', 'p0-b'];
const DELAYED_ORDER = ['delayed-p9', 'delayed-p0-long-ttl'];
const EXPECTED = [...READY_ORDER, ...DELAYED_ORDER];

async function brokerProcess(opts: { port?: number; dataDir?: string } = {}): Promise<BrokerProcess> {
  return res.track(await spawnBrokerProcess([], opts), (b) => b.stop());
}

async function client(url: string): Promise<OrdoClient> {
  return res.track(await connect(url, { reconnect: false }), (c) => c.close());
}

/** The queue's info once `isDone` holds it, or the last one seen after `timeoutMs`. */
async function infoWhen(c: OrdoClient, isDone: (info: QueueInfo) => boolean, timeoutMs: number): Promise<QueueInfo> {
  let last = await c.queueInfo(QUEUE);
  await waitFor(async () => isDone(last = await c.queueInfo(QUEUE)), { timeoutMs, intervalMs: 50 }).catch(() => undefined);
  return last;
}

/** A queued message's name, priority and expiry, as peek shows them. */
const entryOf = (m: QueuedMessage<string>): [string, number, number | null] => [m.payload, m.priority, m.expiresAt];

describe('a queue across restarts of the broker process', () => {
  it.each(['SIGTERM', 'SIGKILL'] as const)('after %s: depth, delays, TTLs and priorities intact; expired never delivered', async (signal) => {
    const b1 = await brokerProcess();
    const before = await client(b1.url);
    await before.createQueue(QUEUE, SETTINGS);
    const t0 = Date.now();
    const sentAt = new Map<string, number>();
    for (const { name, ...options } of PLAN) {
      sentAt.set(name, Date.now());
      await before.send(QUEUE, name, options);
    }
    const peekedBefore = (await before.peekQueue<string>(QUEUE, 100)).map(entryOf);
    const settingsBefore = (await before.queueInfo(QUEUE)).settings;
    await before.close();

    await b1.kill(signal);
    const b2 = await brokerProcess({ port: b1.port, dataDir: b1.dataDir });
    const after = await client(b2.url);

    // Depth: everything but the expired ones (their TTL ended while the
    // broker was down, as a live broker drops them when it ends), the
    // delayed ones still waiting. Soft, so the deliveries are checked too.
    const info = await infoWhen(after, (i) => i.total === EXPECTED.length, 2000);
    expect.soft(info, 'depth after the restart').toMatchObject({
      ready: READY_ORDER.length, delayed: DELAYED_ORDER.length, unacked: 0, total: EXPECTED.length,
    });
    expect(info.settings).toEqual(settingsBefore);
    expect(info.settings).toMatchObject(SETTINGS);

    expect(Date.now() - t0, 'the restart took less than the delay (else the test proves nothing about delays)').toBeLessThan(DELAY_MS - 1000);
    // Priorities and expiry times as before, in the same delivery order.
    const peekedAfter = (await after.peekQueue<string>(QUEUE, 100)).map(entryOf);
    expect(peekedAfter.map(([name]) => name)).toEqual(EXPECTED);
    const survivors = peekedBefore.filter(([name]) => EXPECTED.includes(name));
    expect(peekedAfter).toEqual(EXPECTED.map((name) => survivors.find(([n]) => n === name)));
    for (const [name, priority, expiresAt] of peekedAfter) {
      const plan = PLAN.find((p) => p.name === name)!;
      expect(priority).toBe(plan.priority);
      if (plan.ttlMs === undefined) expect(expiresAt).toBeNull();
      else expect(expiresAt).toBeGreaterThanOrEqual(sentAt.get(name)! + plan.ttlMs);
    }

    // Consume one at a time, so the order seen is the queue's order.
    const got: { name: string; at: number; deliveries: number }[] = [];
    await after.consume<string>(QUEUE, (m) => { got.push({ name: m.payload, at: Date.now(), deliveries: m.deliveries }); }, { prefetch: 1 });
    await waitFor(() => got.length >= EXPECTED.length, { timeoutMs: DELAY_MS + 15_000 }, `${EXPECTED.length} deliveries`);
    // A marker sent last, at the lowest priority, comes after anything still due: nothing else is left.
    await after.send(QUEUE, 'end', { priority: 0 });
    await waitFor(() => got.some((g) => g.name === 'end'), { timeoutMs: 10_000 }, 'the end marker');
    await waitFor(async () => (await after.queueInfo(QUEUE)).total === 0, {}, 'everything acked');

    expect(got.map((g) => g.name)).toEqual([...EXPECTED, 'end']);
    expect(got.every((g) => g.deliveries === 1), 'nothing was in flight at the restart').toBe(true);
    for (const name of DELAYED_ORDER) {
      const delivery = got.find((g) => g.name === name)!;
      expect(delivery.at - sentAt.get(name)!, `${name} delivered after its delay`).toBeGreaterThanOrEqual(DELAY_MS);
    }
    expect(got.filter((g) => g.name.startsWith('short-ttl')), 'a message past its TTL is never delivered').toEqual([]);
  }, 40_000);
});
