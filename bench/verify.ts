/**
 * Delivery verification: what a subscriber received, compared with what was
 * published to it. Pure (no I/O, no clock), one instance per subscriber, fed
 * with the publisher id and sequence number read from each payload header.
 *
 * Definitions (per subscriber, per publisher):
 * - lost: sequence numbers published but never received;
 * - duplicated: receipts of a sequence number already received;
 * - reordered: a first receipt of a sequence number lower than the highest
 *   received so far (the per-publisher sequence went backwards);
 * - unexpected: a publisher id or sequence number outside what was announced.
 */

import type { DeliveryTotals } from './result.js';

/** Counts of one subscriber's deliveries. */
export interface DeliveryCounts {
  readonly expected: number;
  /** Every receipt, duplicates and unexpected ones included. */
  readonly received: number;
  readonly distinct: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly reordered: number;
  readonly unexpected: number;
}

interface PublisherTrack {
  /** Messages announced; receipts at or above it are unexpected. */
  expected: number;
  /** One byte per sequence number: 1 once received. */
  readonly seen: Uint8Array;
  highest: number;
  distinct: number;
}

/** Checks one subscriber's stream of (publisher id, sequence) receipts. */
export class DeliveryVerifier {
  private readonly tracks = new Map<number, PublisherTrack>();
  private receivedCount = 0;
  private distinctCount = 0;
  private expectedCount = 0;
  private duplicated = 0;
  private reordered = 0;
  private unexpected = 0;

  /**
   * Announces that `publisherId` publishes sequence numbers `0 … count−1` to
   * this subscriber. Calling again lowers (or raises, up to the first count)
   * the expectation, e.g. when a publisher was cut short by a timeout.
   */
  expect(publisherId: number, count: number): void {
    const track = this.tracks.get(publisherId);
    if (track === undefined) {
      this.tracks.set(publisherId, { expected: count, seen: new Uint8Array(count), highest: -1, distinct: 0 });
      this.expectedCount += count;
      return;
    }
    const next = Math.min(count, track.seen.length);
    this.expectedCount += next - track.expected;
    track.expected = next;
  }

  /** Records one receipt. Constant time; allocates nothing. */
  record(publisherId: number, seq: number): void {
    this.receivedCount++;
    const track = this.tracks.get(publisherId);
    if (track === undefined || seq < 0 || seq >= track.expected) {
      this.unexpected++;
      return;
    }
    if (track.seen[seq] === 1) {
      this.duplicated++;
      return;
    }
    track.seen[seq] = 1;
    track.distinct++;
    this.distinctCount++;
    if (seq < track.highest) this.reordered++;
    else track.highest = seq;
  }

  /** Distinct expected messages received so far. */
  get distinct(): number {
    return this.distinctCount;
  }

  /** Whether every expected message arrived at least once. */
  isComplete(): boolean {
    return this.distinctCount >= this.expectedCount;
  }

  /** The counts so far. */
  counts(): DeliveryCounts {
    let distinct = 0;
    for (const track of this.tracks.values()) {
      // A lowered expectation may leave receipts above it counted as distinct.
      distinct += Math.min(track.distinct, track.expected);
    }
    return {
      expected: this.expectedCount,
      received: this.receivedCount,
      distinct,
      lost: this.expectedCount - distinct,
      duplicated: this.duplicated,
      reordered: this.reordered,
      unexpected: this.unexpected,
    };
  }
}

/** Sums the subscribers' counts into the row's totals. */
export function sumDeliveryCounts(counts: readonly DeliveryCounts[]): DeliveryTotals {
  const total = { expected: 0, delivered: 0, lost: 0, duplicated: 0, reordered: 0, unexpected: 0 };
  for (const c of counts) {
    total.expected += c.expected;
    total.delivered += c.distinct;
    total.lost += c.lost;
    total.duplicated += c.duplicated;
    total.reordered += c.reordered;
    total.unexpected += c.unexpected;
  }
  return total;
}
