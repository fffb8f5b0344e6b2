/**
 * Throughput: P publishers send N messages each to one topic as fast as the
 * target accepts them, K subscribers on their own connections receive them.
 * Rate = distinct deliveries ÷ (last delivery − first publish); every
 * subscriber's stream is checked by a {@link DeliveryVerifier}. A warm-up burst
 * on the same connections runs first so JIT and buffers are warm.
 *
 * Subscribers wait until they have every message, or until nothing arrived
 * for {@link IDLE_MS} after the publishers finished (an at-most-once broker
 * may drop under load: those count as lost), or until the spec's timeout.
 */
import { makePayloads, readPublisherId, readSequence } from '../payload.js';
import type { WorkloadOutcome } from '../result.js';
import type { BenchClient, BenchTarget } from '../targets/target.js';
import { describeError, sleep, yieldToEventLoop } from '../timing.js';
import { DeliveryVerifier, sumDeliveryCounts } from '../verify.js';
import { closeClients, openClients, settlesBefore, uniqueTopic } from './connections.js';
import type { WorkloadSpec } from './spec.js';

/** Quiet time after which a subscriber's missing messages are declared lost, ms. */
const IDLE_MS = 1000;
/** Publishes between two yields to the event loop (lets sockets of the same process be read). */
const YIELD_EVERY = 1000;
/** Warm-up publishers use ids from here, so their stragglers never count in the measured burst. */
const WARMUP_PUBLISHER_BASE = 1_000_000;
/** Warm-up burst size: a fifth of the measured one, at most this. */
const MAX_WARMUP_MESSAGES = 20_000;

/** One subscriber's receipts, split by burst. */
class SubscriberSink {
  readonly warmup = new DeliveryVerifier();
  readonly measured = new DeliveryVerifier();
  /** `performance.now()` when the measured burst became complete here. */
  completedAt: number | undefined;

  readonly onMessage = (payload: Uint8Array): void => {
    const publisherId = readPublisherId(payload);
    if (publisherId >= WARMUP_PUBLISHER_BASE) {
      this.warmup.record(publisherId, readSequence(payload));
      return;
    }
    this.measured.record(publisherId, readSequence(payload));
    if (this.completedAt === undefined && this.measured.isComplete()) this.completedAt = performance.now();
  };
}

interface BurstResult {
  readonly startedAt: number;
  readonly publishedAt: number;
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
    const sinks = subscribers.map(() => new SubscriberSink());
    await Promise.all(subscribers.map((client, i) => client.subscribe(topic, sinks[i].onMessage)));
    await Promise.all(subscribers.map((client) => client.flush()));

    const warmupMessages = Math.min(MAX_WARMUP_MESSAGES, Math.ceil(spec.messages / 5));
    const warmupVerifiers = sinks.map((sink) => sink.warmup);
    const warmup = await burst(publishers, topic, spec, warmupMessages, WARMUP_PUBLISHER_BASE, warmupVerifiers, deadline);
    if (warmup.note !== undefined) return { error: `warm-up: ${warmup.note}` };

    const run = await burst(publishers, topic, spec, spec.messages, 0, sinks.map((sink) => sink.measured), deadline);
    const endedAt = Math.max(run.startedAt, ...sinks.map((sink) => sink.completedAt ?? run.endedAt));
    const delivery = sumDeliveryCounts(sinks.map((sink) => sink.measured.counts()));
    const seconds = (endedAt - run.startedAt) / 1000;
    return {
      rate: seconds > 0 ? delivery.delivered / seconds : 0,
      publishRate: run.publishedAt > run.startedAt ? run.published / ((run.publishedAt - run.startedAt) / 1000) : 0,
      delivery,
      durationMs: endedAt - run.startedAt,
      ...(run.note === undefined ? {} : { error: run.note }),
    };
  } catch (err) {
    return { error: describeError(err) };
  } finally {
    await closeClients(opened);
  }
}

/** Publishes `messages` per publisher and waits for the subscribers (see the module comment). */
async function burst(
  publishers: readonly BenchClient[],
  topic: string,
  spec: WorkloadSpec,
  messages: number,
  publisherBase: number,
  verifiers: readonly DeliveryVerifier[],
  deadline: number,
): Promise<BurstResult> {
  const payloads = publishers.map((_, p) => makePayloads(publisherBase + p, messages, spec.payloadBytes));
  for (const verifier of verifiers) publishers.forEach((_, p) => verifier.expect(publisherBase + p, messages));

  const startedAt = performance.now();
  const sent = await Promise.all(publishers.map((client, p) => publishAll(client, topic, payloads[p], deadline)));
  const publishedAt = performance.now();
  const published = sent.reduce((a, b) => a + b, 0);
  let note: string | undefined;
  if (published < messages * publishers.length) {
    note = `timed out after ${spec.timeoutMs} ms: published ${published} of ${messages * publishers.length}`;
    for (const verifier of verifiers) sent.forEach((count, p) => verifier.expect(publisherBase + p, count));
  }
  const flushed = await settlesBefore(Promise.all(publishers.map((client) => client.flush())), deadline);
  const endedAt = await awaitDeliveries(verifiers, deadline);
  if (note === undefined && !flushed) note = `timed out after ${spec.timeoutMs} ms flushing publishers`;
  if (note === undefined && performance.now() >= deadline && !verifiers.every((v) => v.isComplete())) {
    note = `timed out after ${spec.timeoutMs} ms waiting for deliveries`;
  }
  return { startedAt, publishedAt, endedAt, published, note };
}

/** Publishes every payload in order, honouring backpressure; returns how many went out before the deadline. */
async function publishAll(client: BenchClient, topic: string, payloads: readonly Uint8Array[], deadline: number): Promise<number> {
  for (let seq = 0; seq < payloads.length; ) {
    const wait = client.publish(topic, payloads[seq]);
    seq++;
    if (wait !== undefined && !(await settlesBefore(wait, deadline))) return seq;
    if (seq % YIELD_EVERY === 0) {
      await yieldToEventLoop();
      if (performance.now() > deadline) return seq;
    }
  }
  return payloads.length;
}

/**
 * Polls until every verifier is complete, or no delivery came for
 * {@link IDLE_MS}, or the deadline. Returns when the last delivery was seen
 * (within the poll interval); complete subscribers record their own time.
 */
async function awaitDeliveries(verifiers: readonly DeliveryVerifier[], deadline: number): Promise<number> {
  let seen = -1;
  let lastProgressAt = performance.now();
  for (;;) {
    const now = performance.now();
    if (verifiers.every((v) => v.isComplete())) return now;
    const distinct = verifiers.reduce((sum, v) => sum + v.distinct, 0);
    if (distinct !== seen) {
      seen = distinct;
      lastProgressAt = now;
    }
    if (now - lastProgressAt >= IDLE_MS || now >= deadline) return lastProgressAt;
    await sleep(1);
  }
}
