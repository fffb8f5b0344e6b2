/**
 * At-least-once: one producer publishes to one destination (a queue, stream
 * or topic, as the target's setup says) keeping at most `spec.window`
 * publishes without their confirm, and one consumer on its own connection
 * receives and acks every message. A warm-up burst runs first, then
 * `spec.runs` measured bursts of about `spec.maxBurstMs`; the rate is their
 * median, either messages delivered and acked per second, first publish to
 * the consumer's last ack reaching the server (`end-to-end`), or confirmed
 * publishes per second (`confirms`). Every confirmed message must arrive:
 * the consumer's stream is checked by a {@link DeliveryVerifier} per burst
 * (lost, duplicated, reordered). A target that counts its store's commits
 * adds them (messages per fsync).
 */
import { makePayloads } from '../payload.js';
import type { WorkloadOutcome } from '../result.js';
import type { BenchTarget, ConfirmedClient, StoreCounters, TargetSetup } from '../targets/target.js';
import { describeError } from '../timing.js';
import { sumDeliveryCounts, type DeliveryVerifier } from '../verify.js';
import { BURST_ID_STRIDE, MAX_WARMUP_MESSAGES, MAX_WARMUP_MS, MIN_BURST_MESSAGES, SubscriberSink, awaitDeliveries } from './bursts.js';
import { closeClients, openConfirmedClients, settlesBefore, uniqueTopic } from './connections.js';
import { CpuMeter, median, perSecond } from './measures.js';
import type { WorkloadSpec } from './spec.js';

/** A measured burst prepares this many times the messages the last rate says fit in `maxBurstMs` (the time cap ends it). */
const BURST_HEADROOM = 2;

/** The connections and destination of one run. */
interface Run {
  readonly spec: WorkloadSpec;
  readonly producer: ConfirmedClient;
  readonly consumer: ConfirmedClient;
  readonly sink: SubscriberSink;
  readonly destination: string;
  /** `performance.now()` bound of the whole run. */
  readonly deadline: number;
}

interface BurstOutcome {
  /** Messages delivered and acked per second, first publish to the last ack. */
  readonly endToEndRate: number;
  /** Confirmed publishes per second. */
  readonly confirmRate: number;
  /** Wall-clock time of the burst, ms. */
  readonly durationMs: number;
  readonly note?: string;
}

/** Runs a confirmed workload against a target started for `setup`; never throws, never outlives `spec.timeoutMs` by much. */
export async function runConfirmed(target: BenchTarget, spec: WorkloadSpec, setup: TargetSetup): Promise<WorkloadOutcome> {
  const deadline = performance.now() + spec.timeoutMs;
  const opened: ConfirmedClient[] = [];
  try {
    const [consumer] = await openConfirmedClients(target, spec, setup, 1, opened);
    const [producer] = await openConfirmedClients(target, spec, setup, 1, opened);
    const sink = new SubscriberSink(1 + spec.runs);
    const run: Run = { spec, producer, consumer, sink, destination: uniqueTopic(spec), deadline };
    await consumer.consume(run.destination, sink.onMessage);

    const warmup = await runBurst(run, 0, Math.min(spec.messages, MAX_WARMUP_MESSAGES), Math.min(spec.maxBurstMs, MAX_WARMUP_MS));
    if (warmup.note !== undefined) return { error: `warm-up: ${warmup.note}` };
    let lastRate = warmup.confirmRate;
    const rates: number[] = [];
    const confirmRates: number[] = [];
    let durationMs = 0;
    let note: string | undefined;
    const storeBefore = await producer.storeCounters?.();
    const cpu = await CpuMeter.start(target);
    for (let burst = 1; burst <= spec.runs && note === undefined; burst++) {
      const outcome = await runBurst(run, burst, burstSize(spec, lastRate), spec.maxBurstMs);
      lastRate = outcome.confirmRate;
      rates.push(spec.rateOf === 'confirms' ? outcome.confirmRate : outcome.endToEndRate);
      confirmRates.push(outcome.confirmRate);
      durationMs += outcome.durationMs;
      note = outcome.note;
    }
    const cpuUsed = await cpu.stop();
    const store = difference(storeBefore, await producer.storeCounters?.());
    const delivery = sumDeliveryCounts(sink.bursts.slice(1, 1 + rates.length).map((v) => v.counts()));
    return {
      rate: median(rates),
      runRates: rates,
      publishRate: median(confirmRates),
      delivery: { ...delivery, unexpected: delivery.unexpected + sink.strayCount },
      durationMs,
      ...cpuUsed,
      ...(store === undefined ? {} : { store }),
      ...(note === undefined ? {} : { error: note }),
    };
  } catch (err) {
    return { error: describeError(err) };
  } finally {
    await closeClients(opened);
  }
}

/** Messages to prepare for a measured burst: enough for `maxBurstMs` at the last confirm rate, with headroom. */
function burstSize(spec: WorkloadSpec, confirmRate: number): number {
  const fitting = Math.ceil((confirmRate * spec.maxBurstMs * BURST_HEADROOM) / 1000);
  return Math.max(MIN_BURST_MESSAGES, Math.min(spec.messages, fitting));
}

/**
 * Publishes up to `messages` as burst number `burst` for at most `maxMs`,
 * then waits for the consumer to have them all and its acks to reach the server.
 */
async function runBurst(run: Run, burst: number, messages: number, maxMs: number): Promise<BurstOutcome> {
  const { spec, producer, consumer, sink, deadline } = run;
  const publisherId = burst * BURST_ID_STRIDE;
  const verifier: DeliveryVerifier = sink.bursts[burst];
  const payloads = makePayloads(publisherId, messages, spec.payloadBytes);
  verifier.expect(publisherId, messages);

  const startedAt = performance.now();
  const window = new ConfirmWindow(producer, run.destination, payloads);
  const isConfirmed = await settlesBefore(window.publish(spec.window ?? 1, Math.min(deadline, startedAt + maxMs)), deadline);
  const confirmedAt = performance.now();
  // Expect exactly what went out: a burst cut short by time publishes fewer.
  verifier.expect(publisherId, window.published);
  const lastDelivery = await awaitDeliveries([verifier], deadline);
  const isComplete = verifier.isComplete();
  const isAcked = isComplete && (await settlesBefore(consumer.flush(), deadline));
  const endedAt = isAcked ? performance.now() : lastDelivery;
  return {
    endToEndRate: perSecond(verifier.counts().distinct, endedAt - startedAt),
    confirmRate: perSecond(window.confirmed, confirmedAt - startedAt),
    durationMs: endedAt - startedAt,
    ...noteOf(spec, window, isConfirmed, isComplete, isAcked),
  };
}

function noteOf(spec: WorkloadSpec, window: ConfirmWindow, isConfirmed: boolean, isComplete: boolean, isAcked: boolean): { note?: string } {
  if (window.failure !== undefined) return { note: `publish failed: ${describeError(window.failure)}` };
  if (!isConfirmed) return { note: `timed out after ${spec.timeoutMs} ms waiting for confirms` };
  if (isComplete && !isAcked) return { note: `timed out after ${spec.timeoutMs} ms flushing acks` };
  return {};
}

/**
 * Publishes payloads in order keeping at most `size` unconfirmed: `size`
 * lanes each publish the next payload and wait for its confirm. Stops taking
 * new payloads at `stopAt` or on the first failed publish.
 */
class ConfirmWindow {
  /** Publishes made (each one's payload index is below this). */
  published = 0;
  /** Publishes the server confirmed. */
  confirmed = 0;
  /** The first publish that failed. */
  failure: unknown;

  constructor(
    private readonly client: ConfirmedClient,
    private readonly destination: string,
    private readonly payloads: readonly Uint8Array[],
  ) {}

  /** Resolves once every publish made was confirmed or failed. */
  async publish(size: number, stopAt: number): Promise<void> {
    const lane = async (): Promise<void> => {
      while (this.published < this.payloads.length && this.failure === undefined && performance.now() < stopAt) {
        try {
          await this.client.publish(this.destination, this.payloads[this.published++]);
          this.confirmed++;
        } catch (err) {
          this.failure ??= err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(size, this.payloads.length) }, lane));
  }
}

/** `after − before`, or undefined when the target does not count. */
function difference(before: StoreCounters | undefined, after: StoreCounters | undefined): StoreCounters | undefined {
  if (before === undefined || after === undefined) return undefined;
  return { commits: after.commits - before.commits, messages: after.messages - before.messages };
}
