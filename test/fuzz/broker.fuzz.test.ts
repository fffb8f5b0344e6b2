import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type OrdoClient } from '../../client/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { fuzzCount, fuzzSeed } from '../helpers/fuzz-frames.js';
import { waitFor } from '../helpers/wait-for.js';
import { describeFailures, driveBroker, isDocumentedClose } from './broker-driver.js';

/**
 * A live broker under fuzzed frames over real WebSockets, from several
 * connections at once [protocol 1.3, 2, 4]: it must never crash, never throw
 * out of a socket callback (uncaught exceptions and unhandled rejections are
 * caught here and must stay none), answer each fatal frame exactly as the
 * protocol says, keep every other connection in step, keep serving, and lose
 * nothing it confirmed before the storm. Replay a run with FUZZ_SEED=<seed>;
 * FUZZ_BROKER_FRAMES sets the frame count (the npm `fuzz` script raises it).
 */

const SEED = fuzzSeed();
const FRAMES = fuzzCount('FUZZ_BROKER_FRAMES', 100_000);
/** Small, so that some hostile frames are too large and the 1009 path is taken too. */
const MAX_FRAME_BYTES = 64 * 1024;
const LANES = 6;
/** Time allowed for sending every frame, generous for a shared machine (about 0.5 ms a frame here). */
const BUDGET_MS = Math.max(10 * 60_000, FRAMES * 3);

let broker: TestBroker;
let keeper: OrdoClient;
const uncaught: unknown[] = [];
const onUncaught = (err: unknown): void => { uncaught.push(err); };
/** Names no fuzzed operation can produce (client-ops.ts draws from fz* pools). */
const sentinel = { queue: `sentinel-${randomBytes(8).toString('hex')}`, topic: `sentinel/${randomBytes(8).toString('hex')}` };

beforeAll(async () => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  // 'os' durability: the store is real SQLite, without an fsync per commit on a machine others share.
  broker = await startTestBroker({ durability: 'os', limits: { maxFrameBytes: MAX_FRAME_BYTES } });
  keeper = await connect(broker.url, { clientId: 'sentinel-keeper' });
  // Confirmed before the fuzzing: a queued message and a retained one.
  await keeper.send(sentinel.queue, { kept: 'queued' });
  await keeper.publish(sentinel.topic, { kept: 'retained' }, { qos: 'at-least-once', retain: true });
});

afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
  await keeper?.close();
  await broker?.cleanup();
});

describe('broker fuzz [protocol 1.3, 2, 4]', () => {
  it(`${FRAMES} fuzzed frames over ${LANES} connections: no crash, a documented answer to each fatal frame, the broker keeps serving`, async () => {
    const loopDelay = monitorEventLoopDelay({ resolution: 20 });
    loopDelay.enable();
    const started = performance.now();
    const cpu = process.cpuUsage();
    const run = await driveBroker({
      url: broker.url, seed: SEED, frames: FRAMES, lanes: LANES, maxFrameBytes: MAX_FRAME_BYTES, budgetMs: BUDGET_MS,
    });
    loopDelay.disable();
    const used = process.cpuUsage(cpu);
    const errorsReturned = [...run.errors.values()].reduce((a, b) => a + b, 0);
    const closes = [...run.closes].map(([code, n]) => `${code}×${n}`).join(' ');
    console.log(`broker fuzz: seed ${SEED}, frames thrown ${run.frames}, errors returned ${errorsReturned}, `
      + `fatal frames ${run.fatalFrames}, closes ${[...run.closes].filter(([c]) => c !== 1000).reduce((a, [, n]) => a + n, 0)} (${closes}), `
      + `connections ${run.connections}, probes answered ${run.probes}, crashes 0, uncaught ${uncaught.length}, failures ${run.failures.length}, `
      + `${((performance.now() - started) / 1000).toFixed(1)} s (${((used.user + used.system) / 1e6).toFixed(1)} s CPU), `
      + `longest event-loop block ${(loopDelay.max / 1e6).toFixed(0)} ms, longest error message ${run.longestError.length} characters (${run.longestError.code}); `
      + `errors by code: ${[...run.errors].map(([c, n]) => `${c} ${n}`).join(', ')}; frames by kind: ${[...run.byKind].map(([k, n]) => `${k} ${n}`).join(', ')}`);

    expect(run.failures, describeFailures(SEED, run.failures)).toEqual([]);
    expect(uncaught, 'uncaught exceptions or unhandled rejections').toEqual([]);
    expect(run.frames).toBe(FRAMES);
    for (const code of run.closes.keys()) expect(isDocumentedClose(code), `close status ${code}`).toBe(true);
    // Both paths were exercised: answered errors on open connections, and fatal frames.
    expect(errorsReturned).toBeGreaterThan(FRAMES / 10);
    expect(run.fatalFrames).toBeGreaterThan(0);
    expect(run.errors.get('ERR_INTERNAL') ?? 0).toBe(0);

    // Every fuzz connection is gone from the broker's books; the keeper remains.
    await waitFor(() => broker.stats().connections === 1, { timeoutMs: 15_000 }, 'fuzz connections forgotten');
    expect(keeper.state).toBe('connected');
  }, BUDGET_MS + 5 * 60_000);

  it('after the storm: a fresh client connects, publishes at-least-once, subscribes and receives', async () => {
    const fresh = await connect(broker.url, { clientId: 'after-the-storm' });
    try {
      const got: unknown[] = [];
      const sub = await fresh.subscribe('after/storm', (m) => { got.push(m.payload); }, { qos: 'at-least-once' });
      await fresh.publish('after/storm', { alive: true }, { qos: 'at-least-once' });
      await waitFor(() => got.length > 0, {}, 'the fresh subscriber receives');
      expect(got).toEqual([{ alive: true }]);
      await sub.unsubscribe();
    } finally {
      await fresh.close();
    }
  });

  it('nothing confirmed before the storm was lost: the queued and the retained message are still there', async () => {
    const peeked = await keeper.peekQueue(sentinel.queue);
    expect(peeked.map((m) => m.payload)).toEqual([{ kept: 'queued' }]);
    const retained: unknown[] = [];
    const sub = await keeper.subscribe(sentinel.topic, (m) => { if (m.retained) retained.push(m.payload); });
    await waitFor(() => retained.length > 0, {}, 'the retained message arrives');
    expect(retained).toEqual([{ kept: 'retained' }]);
    await sub.unsubscribe();
  });
});
