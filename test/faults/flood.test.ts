import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connect, OrdoError, type OrdoClient } from '../../client/index.js';
import { makeTempDir, spawnBrokerProcess, type BrokerProcess } from '../helpers/broker.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';

const res = useResources();
const MB = 1024 * 1024;

/** Resident memory of process `pid` (VmRSS), bytes. */
async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (kb === null) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb[1]) * 1024;
}

async function brokerWith(config: object): Promise<BrokerProcess> {
  const dir = res.track(await makeTempDir('ordo-flood-conf-'), () => undefined);
  const file = join(dir, 'ordo.json');
  await writeFile(file, JSON.stringify(config));
  return res.track(await spawnBrokerProcess(['--config', file]), (b) => b.stop());
}

async function client(url: string, clientId: string): Promise<OrdoClient> {
  const c = res.track(await connect(url, { reconnect: false, clientId }), (x) => x.close());
  c.on('error', () => { /* refusals of at-most-once publishes: counted by the flooder where it cares */ });
  return c;
}

/** The broker process's resident memory, sampled every 100 ms until stopped. */
function watchRss(pid: number): { stop(): Promise<number> } {
  let max = 0;
  let isRunning = true;
  const loop = (async () => {
    while (isRunning) {
      max = Math.max(max, await rssOf(pid).catch(() => 0));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return { stop: async () => { isRunning = false; await loop; return max; } };
}

const PUBLISH_RATE = 2000;
const PUBLISH_BYTES_RATE = 4 * MB;

describe('flood', () => {
  it('a publisher flooding past its quota is held back or refused, while another client\'s at-least-once traffic is all delivered and the broker stays under its memory watermark', async () => {
    // The watermark: what an idle broker process uses here, plus room to work in.
    const probe = await brokerWith({});
    const idleRss = await rssOf(probe.child.pid!);
    await probe.stop();
    const watermark = idleRss + 160 * MB;
    const b = await brokerWith({ limits: { publishRate: PUBLISH_RATE, publishBytesRate: PUBLISH_BYTES_RATE, memoryHighWatermarkBytes: watermark } });
    const pid = b.child.pid!;
    const rss = watchRss(pid);

    const sub = await client(b.url, 'sub');
    const got = new Set<number>();
    await sub.subscribe<number>('steady/t', (m) => { got.add(m.payload); }, { qos: 'at-least-once', prefetch: 500 });

    // The flooder: at-most-once and at-least-once publishes with 16 KiB payloads and small sends, never waiting
    // for a confirm; it only waits when the SDK says its socket is full (the broker stopped reading it).
    const flooder = await client(b.url, 'flooder');
    const big = new Uint8Array(16 * 1024);
    const flood = { attempted: 0, confirmed: 0, errLimit: 0, blocked: 0, otherErrors: [] as string[], isRunning: true };
    const settle = (p: Promise<unknown>): void => {
      p.then(() => { flood.confirmed++; }, (err: unknown) => {
        if (err instanceof OrdoError && err.code === 'ERR_LIMIT') flood.errLimit++;
        else flood.otherErrors.push(String(err));
      });
    };
    const floodStarted = performance.now();
    const flooding = (async () => {
      while (flood.isRunning) {
        let drained: Promise<void> = Promise.resolve();
        for (let i = 0; i < 10; i++) {
          drained = flooder.publish('flood/plain', big);
          settle(flooder.publish('flood/stored', big, { qos: 'at-least-once' }));
          settle(flooder.send('flood-q', i));
          flood.attempted += 3;
        }
        if (!flooder.isWritable) flood.blocked++;
        await drained;
        // Bound what the test process itself holds: at most 3,000 unconfirmed.
        while (flood.isRunning && flood.attempted - flood.confirmed - flood.errLimit - flood.otherErrors.length > 3000) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();

    // The steady client: 2,000 at-least-once publishes, 100 in flight; ERR_LIMIT (a resource alarm) is retried.
    const steady = await client(b.url, 'steady');
    const publishSteady = async (i: number): Promise<void> => {
      for (;;) {
        try {
          await steady.publish('steady/t', i, { qos: 'at-least-once' });
          return;
        } catch (err) {
          if (!(err instanceof OrdoError && err.code === 'ERR_LIMIT')) throw err;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    };
    const count = 2000;
    for (let i = 0; i < count; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => publishSteady(i + j)));
    }
    await waitFor(() => got.size === count, { timeoutMs: 15_000 }, `steady messages delivered (${got.size} of ${count})`);
    // Let the flood run a few seconds in all, so its rate is measured over more than its first burst.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 4000 - (performance.now() - floodStarted))));

    const stats = await steady.stats();
    const floodSeconds = (performance.now() - floodStarted) / 1000;
    flood.isRunning = false;
    const maxRss = await rss.stop();

    const floodIn = stats.connectionList.find((c) => c.clientId === 'flooder')?.messagesIn ?? 0;
    // The broker takes the flooder's operations in the order sent: two of each three carry 16 KiB.
    const floodBytes = (Math.floor(floodIn / 3) * 2 + Math.min(floodIn % 3, 2)) * big.length;
    // Taken in: at most a second's burst, the rate since, and what one read held past the quota (the SDK's frames are 64 KiB).
    expect(floodIn).toBeLessThanOrEqual(PUBLISH_RATE * (floodSeconds + 1) + 1000);
    expect(floodBytes).toBeLessThanOrEqual(PUBLISH_BYTES_RATE * (floodSeconds + 1) + MB);
    // Held back: the flooder's socket filled up (the broker stopped reading it), or it was refused.
    expect(flood.blocked > 0 || flood.errLimit > 0).toBe(true);
    expect(flood.otherErrors).toEqual([]);
    expect(maxRss).toBeLessThan(watermark);
    expect(maxRss).toBeGreaterThan(0);

    // Still alive and answering, to the flooder too once it stops.
    await flooding;
    expect(b.child.exitCode).toBe(null);
    const after = await client(b.url, 'after');
    await after.publish('steady/t', -1, { qos: 'at-least-once' });
    await waitFor(() => got.has(-1));
    await waitFor(async () => (await flooder.stats()).connections >= 4, { timeoutMs: 10_000 }, 'flooder answered');
    console.log(`flood: ${floodSeconds.toFixed(1)} s, attempted ${flood.attempted}, taken ${floodIn} (${(floodIn / floodSeconds).toFixed(0)}/s, ${(floodBytes / MB / floodSeconds).toFixed(1)} MiB/s), blocked ${flood.blocked} times, ERR_LIMIT ${flood.errLimit}; broker RSS idle ${(idleRss / MB).toFixed(0)} MB, max ${(maxRss / MB).toFixed(0)} MB, watermark ${(watermark / MB).toFixed(0)} MB`);
  });
});
