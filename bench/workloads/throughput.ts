/**
 * Throughput: P publishers send N messages each (or as many as fit in
 * `spec.maxBurstMs`) to one topic as fast as the target accepts them,
 * K subscribers on their own connections receive them.
 * Rate = distinct deliveries ÷ (last delivery − first publish); every
 * subscriber's stream is checked by a {@link DeliveryVerifier}. On the same
 * connections a warm-up burst (JIT, buffers) runs first, then `spec.runs`
 * measured bursts; the reported rate is their median, the delivery checks
 * their sum.
 *
 * Subscribers wait until they have every message, or until nothing arrived
 * for `IDLE_MS` (bursts.ts) after the publishers finished (an at-most-once broker
 * may drop under load: those count as lost), or until the spec's timeout.
 */
import { makePayloads } from '../payload.js';
import type { WorkloadOutcome } from '../result.js';
import type { BenchClient, BenchTarget } from '../targets/target.js';
import { describeError, yieldToEventLoop } from '../timing.js';
import { sumDeliveryCounts, type DeliveryVerifier } from '../verify.js';
import { BURST_ID_STRIDE, MAX_WARMUP_MESSAGES, MAX_WARMUP_MS, MIN_BURST_MESSAGES, SubscriberSink, awaitDeliveries } from './bursts.js';
import { closeClients, openClients, settlesBefore, uniqueTopic } from './connections.js';
import { CpuMeter, median, perSecond } from './measures.js';
import type { WorkloadSpec } from './spec.js';

/** Publishes between two yields to the event loop (lets sockets of the same process be read). */
const YIELD_EVERY = 1000;

interface Burst {
  readonly startedAt: number;
  readonly publishedAt: number;
  /** Last delivery of the burst. */
  readonly endedAt: number;
  readonly published: number;
  readonly note?: string;
}

/** Runs a throughput workload against a started target; never throws, never outlives `spec.timeoutMs` by much. */
export async function runThroughput(target: BenchTarget, spec: WorkloadSpec): Promise<WorkloadOutcome> {
  const deadline = performance.now() + spec.timeoutMs;
  const opened: BenchClient[] = [];
  try {
    const topic = uniqueTopic(spec);
    const subscribers = await openClients(target, spec, spec.subscribers, opened);
    const publishers = await openClients(target, spec, spec.publishers, opened);
    const sinks = subscribers.map(() => new SubscriberSink(1 + spec.runs));
    await Promise.all(subscribers.map((client, i) => client.subscribe(topic, sinks[i].onMessage)));
    await Promise.all(subscribers.map((client) => client.flush()));
    const verifiersOf = (burst: number): DeliveryVerifier[] => sinks.map((sink) => sink.bursts[burst]);

    // A fifth of a measured burst, at most MAX_WARMUP_MESSAGES.
    const warmupMessages = Math.min(MAX_WARMUP_MESSAGES, Math.ceil(spec.messages / 5));
    const warmupPlan = { messages: warmupMessages, maxMs: Math.min(spec.maxBurstMs, MAX_WARMUP_MS) };
    const warmup = await runBurst(publishers, topic, spec, warmupPlan, 0, verifiersOf(0), deadline);
    if (warmup.note !== undefined) return { error: `warm-up: ${warmup.note}` };
    let rate = perSecond(sumDeliveryCounts(verifiersOf(0).map((v) => v.counts())).delivered, warmup.endedAt - warmup.startedAt);

    const rates: number[] = [];
    const publishRates: number[] = [];
    let durationMs = 0;
    let note: string | undefined;
    const cpu = await CpuMeter.start(target);
    for (let run = 1; run <= spec.runs && note === undefined; run++) {
      const plan = { messages: burstSize(spec, rate), maxMs: spec.maxBurstMs };
      const burst = await runBurst(publishers, topic, spec, plan, run, verifiersOf(run), deadline);
      const endedAt = Math.max(burst.startedAt, ...sinks.map((sink) => sink.completedAt[run] ?? burst.endedAt));
      const delivered = sumDeliveryCounts(verifiersOf(run).map((v) => v.counts())).delivered;
      rate = perSecond(delivered, endedAt - burst.startedAt);
      rates.push(rate);
      publishRates.push(perSecond(burst.published, burst.publishedAt - burst.startedAt));
      durationMs += endedAt - burst.startedAt;
      note = burst.note;
    }
    const measured = sinks.flatMap((sink) => sink.bursts.slice(1, 1 + rates.length).map((v) => v.counts()));
    const delivery = sumDeliveryCounts(measured);
    const stray = sinks.reduce((sum, sink) => sum + sink.strayCount, 0);
    return {
      rate: median(rates),
      runRates: rates,
      publishRate: median(publishRates),
      delivery: { ...delivery, unexpected: delivery.unexpected + stray },
      durationMs,
      ...(await cpu.stop()),
      ...(note === undefined ? {} : { error: note }),
    };
  } catch (err) {
    return { error: describeError(err) };
  } finally {
    await closeClients(opened);
  }
}

/**
 * Messages per publisher for the next burst: `spec.messages`, or fewer when
 * the last measured rate (deliveries/s) says a burst would outlast
 * `spec.maxBurstMs` — a slow target whose subscribers lag behind the
 * publisher would otherwise spend most of the time bound draining.
 */
function burstSize(spec: WorkloadSpec, rate: number): number {
  const perPublisher = rate / spec.subscribers / spec.publishers;
  const fitting = Math.floor((perPublisher * spec.maxBurstMs) / 1000);
  return Math.max(MIN_BURST_MESSAGES, Math.min(spec.messages, fitting));
}

/** How much one burst publishes: messages per publisher, and a time cap on publishing (ms). */
interface BurstPlan {
  readonly messages: number;
  readonly maxMs: number;
}

/**
 * Publishes `plan.messages` per publisher (or what `plan.maxMs` allows) as
 * burst number `burst`, and waits for the subscribers (see the module comment).
 */
async function runBurst(
  publishers: readonly BenchClient[],
  topic: string,
  spec: WorkloadSpec,
  plan: BurstPlan,
  burst: number,
  verifiers: readonly DeliveryVerifier[],
  deadline: number,
): Promise<Burst> {
  const ids = publishers.map((_, p) => burst * BURST_ID_STRIDE + p);
  const payloads = ids.map((id) => makePayloads(id, plan.messages, spec.payloadBytes));
  for (const verifier of verifiers) for (const id of ids) verifier.expect(id, plan.messages);

  const startedAt = performance.now();
  const stopAt = Math.min(deadline, startedAt + plan.maxMs);
  const sent = await Promise.all(publishers.map((client, p) => publishAll(client, topic, payloads[p], stopAt)));
  const publishedAt = performance.now();
  const published = sent.reduce((a, b) => a + b, 0);
  let note: string | undefined;
  if (published < plan.messages * publishers.length) {
    // Cut short: expect exactly what went out.
    for (const verifier of verifiers) sent.forEach((count, p) => verifier.expect(ids[p], count));
    if (publishedAt >= deadline) note = `timed out after ${spec.timeoutMs} ms publishing`;
  }
  const isFlushed = await settlesBefore(Promise.all(publishers.map((client) => client.flush())), deadline);
  const endedAt = await awaitDeliveries(verifiers, deadline);
  if (note === undefined && !isFlushed) note = `timed out after ${spec.timeoutMs} ms flushing publishers`;
  if (note === undefined && performance.now() >= deadline && !verifiers.every((v) => v.isComplete())) {
    note = `timed out after ${spec.timeoutMs} ms waiting for deliveries`;
  }
  return { startedAt, publishedAt, endedAt, published, note };
}

/** Publishes payloads in order, honouring backpressure, until done or `stopAt`; returns how many went out. */
async function publishAll(client: BenchClient, topic: string, payloads: readonly Uint8Array[], stopAt: number): Promise<number> {
  for (let seq = 0; seq < payloads.length; ) {
    const wait = client.publish(topic, payloads[seq]);
    seq++;
    if (wait !== undefined && !(await settlesBefore(wait, stopAt))) return seq;
    if (seq % YIELD_EVERY === 0) {
      await yieldToEventLoop();
      if (performance.now() >= stopAt) return seq;
    }
  }
  return payloads.length;
}

/** The median of a list of rates (kept here for the tests that import it from this module). */
export { median } from './measures.js';
