/**
 * What the burst-based workloads (throughput, confirmed) share: telling
 * bursts apart by publisher id, one verifier per burst and subscriber, and
 * waiting for a burst's deliveries.
 */
import { readPublisherId, readSequence } from '../payload.js';
import { sleep } from '../timing.js';
import { DeliveryVerifier } from '../verify.js';

/** Quiet time after which a subscriber's missing messages are declared lost, ms. */
export const IDLE_MS = 1000;
/** Publisher ids of burst b are b × this + publisher index, so a straggler always lands in its own burst. */
export const BURST_ID_STRIDE = 1000;
/** Messages of a warm-up burst (JIT, buffers), at most. */
export const MAX_WARMUP_MESSAGES = 20_000;
/** Warm-up publishing stops after this long, ms. */
export const MAX_WARMUP_MS = 1_000;
/** Fewest messages per publisher a measured burst prepares, however slow the target. */
export const MIN_BURST_MESSAGES = 1_000;

/** One subscriber's receipts, one verifier per burst (burst 0 is the warm-up). */
export class SubscriberSink {
  readonly bursts: DeliveryVerifier[];
  /** `performance.now()` when each burst became complete here. */
  readonly completedAt: Array<number | undefined>;
  private stray = 0;

  constructor(bursts: number) {
    this.bursts = Array.from({ length: bursts }, () => new DeliveryVerifier());
    this.completedAt = new Array<number | undefined>(bursts).fill(undefined);
  }

  readonly onMessage = (payload: Uint8Array): void => {
    const publisherId = readPublisherId(payload);
    const burst = Math.floor(publisherId / BURST_ID_STRIDE);
    const verifier = this.bursts[burst];
    if (verifier === undefined) {
      this.stray++;
      return;
    }
    verifier.record(publisherId, readSequence(payload));
    if (this.completedAt[burst] === undefined && verifier.isComplete()) this.completedAt[burst] = performance.now();
  };

  /** Messages whose header matched no burst (corrupt or foreign). */
  get strayCount(): number {
    return this.stray;
  }
}

/**
 * Polls until every verifier is complete, or no delivery came for `idleMs`
 * ({@link IDLE_MS} by default), or the deadline. Returns when the last
 * delivery was seen (within the poll interval); complete subscribers record
 * their own time.
 */
export async function awaitDeliveries(verifiers: readonly DeliveryVerifier[], deadline: number, idleMs = IDLE_MS): Promise<number> {
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
    if (now - lastProgressAt >= idleMs || now >= deadline) return lastProgressAt;
    await sleep(1);
  }
}
