/**
 * Round-trip latency: one message in flight at a time, published on one
 * connection and awaited on a subscriber connection of the same process;
 * the time from just before `publish` to the handler, with
 * `process.hrtime.bigint()`. Warm-up samples are dropped. A message not back
 * within {@link SAMPLE_TIMEOUT_MS} is skipped (the verifier counts it lost).
 */
import { makePayloads, readPublisherId, readSequence } from '../payload.js';
import type { WorkloadOutcome } from '../result.js';
import type { BenchClient, BenchTarget } from '../targets/target.js';
import { describeError } from '../timing.js';
import { DeliveryVerifier, sumDeliveryCounts } from '../verify.js';
import { closeClients, openClients, uniqueTopic } from './connections.js';
import type { WorkloadSpec } from './spec.js';

/** Samples taken and dropped before measuring. */
const WARMUP_SAMPLES = 2_000;
/** Wait for one message before it counts as lost, ms. */
const SAMPLE_TIMEOUT_MS = 1_000;
const PUBLISHER_ID = 0;

/** Nearest-rank percentile `p` (0–1) of ascending `sorted` values. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1];
}

/** Runs a latency workload against a started target; never throws, never outlives `spec.timeoutMs` by much. */
export async function runLatency(target: BenchTarget, spec: WorkloadSpec): Promise<WorkloadOutcome> {
  const deadline = performance.now() + spec.timeoutMs;
  const opened: BenchClient[] = [];
  try {
    const topic = uniqueTopic(spec);
    const [subscriber] = await openClients(target, spec, 1, opened);
    const [publisher] = await openClients(target, spec, 1, opened);
    const total = WARMUP_SAMPLES + spec.messages;
    const verifier = new DeliveryVerifier();
    verifier.expect(PUBLISHER_ID, total);

    let awaited = -1;
    let arrived: (() => void) | undefined;
    await subscriber.subscribe(topic, (payload) => {
      const seq = readSequence(payload);
      verifier.record(readPublisherId(payload), seq);
      if (seq === awaited && arrived !== undefined) arrived();
    });
    await subscriber.flush();

    const payloads = makePayloads(PUBLISHER_ID, total, spec.payloadBytes);
    const samples = new Float64Array(spec.messages);
    let taken = 0;
    let published = 0;
    let error: string | undefined;
    const startedAt = performance.now();
    for (let seq = 0; seq < total; seq++) {
      if (performance.now() >= deadline) {
        error = `timed out after ${spec.timeoutMs} ms: ${taken} of ${spec.messages} samples`;
        break;
      }
      // Set up the wait and its timer before the clock starts, so only the trip is timed.
      awaited = seq;
      let isLate = false;
      const back = new Promise<void>((resolve) => (arrived = resolve));
      const timer = setTimeout(() => {
        isLate = true;
        arrived?.();
      }, Math.min(SAMPLE_TIMEOUT_MS, Math.max(0, deadline - performance.now())));
      const t0 = process.hrtime.bigint();
      const wait = publisher.publish(topic, payloads[seq]);
      published++;
      if (wait !== undefined) await wait;
      await back;
      const t1 = process.hrtime.bigint();
      clearTimeout(timer);
      arrived = undefined;
      if (!isLate && seq >= WARMUP_SAMPLES) samples[taken++] = Number(t1 - t0) / 1000;
    }
    const durationMs = performance.now() - startedAt;
    verifier.expect(PUBLISHER_ID, published);
    const sorted = samples.subarray(0, taken).sort();
    return {
      p50Us: percentile(sorted, 0.5),
      p99Us: percentile(sorted, 0.99),
      samples: taken,
      delivery: sumDeliveryCounts([verifier.counts()]),
      durationMs,
      ...(error === undefined ? {} : { error }),
    };
  } catch (err) {
    return { error: describeError(err) };
  } finally {
    await closeClients(opened);
  }
}
