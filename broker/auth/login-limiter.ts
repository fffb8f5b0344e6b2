/**
 * Failed-login rate limit per client address: a token bucket holding up to
 * maxPerMinute failures, refilled at maxPerMinute per minute. An address with
 * an empty bucket is refused without checking its credentials, so guessing
 * passwords costs the guesser time, not the broker scrypt work.
 *
 * Memory stays bounded: a bucket that has refilled is the same as no bucket
 * and is forgotten, and past maxAddresses the least recently failed
 * address is dropped (which only ever lets that address try sooner).
 */

/** Most addresses tracked at once. */
export const MAX_ADDRESSES = 100_000;

const MINUTE_MS = 60_000;

interface Bucket {
  /** Failures still allowed, fractional while refilling. */
  tokens: number;
  /** When tokens was last brought up to date, ms. */
  at: number;
}

export class LoginLimiter {
  /**
   * Buckets in order of last failure (a Map keeps insertion order and each
   * failure re-inserts), so the first entries are the stalest.
   */
  private readonly buckets = new Map<string, Bucket>();

  /**
   * @param maxPerMinute failures allowed per address in a burst and per minute after, at least 1.
   * @param now clock in ms; Date.now by default (tests pass their own).
   * @param maxAddresses most addresses tracked at once; MAX_ADDRESSES by default.
   */
  constructor(
    private readonly maxPerMinute: number,
    private readonly now: () => number = Date.now,
    private readonly maxAddresses: number = MAX_ADDRESSES,
  ) {
    if (!(maxPerMinute >= 1) || !Number.isFinite(maxPerMinute)) throw new RangeError('maxPerMinute must be a finite number >= 1');
  }

  /** True when `address` has used up its failures and must wait. */
  isBlocked(address: string): boolean {
    return this.tokensOf(address) < 1;
  }

  /** Counts one failed login from `address`. */
  recordFailure(address: string): void {
    const tokens = Math.max(0, this.tokensOf(address) - 1);
    this.buckets.delete(address); // re-insert at the end: most recent
    this.buckets.set(address, { tokens, at: this.now() });
    this.forgetStale();
  }

  /** How long until `address` may try again, ms; 0 when it may now. */
  retryAfterMs(address: string): number {
    const tokens = this.tokensOf(address);
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * MINUTE_MS) / this.maxPerMinute);
  }

  /** Addresses tracked now (for tests and stats). */
  get size(): number {
    return this.buckets.size;
  }

  /** The failures `address` has left now, refilling (and forgetting) its bucket on the way. */
  private tokensOf(address: string): number {
    const bucket = this.buckets.get(address);
    if (bucket === undefined) return this.maxPerMinute;
    const tokens = this.refilled(bucket, this.now());
    if (tokens >= this.maxPerMinute) {
      this.buckets.delete(address);
      return this.maxPerMinute;
    }
    return tokens;
  }

  private refilled(bucket: Bucket, now: number): number {
    const elapsed = Math.max(0, now - bucket.at); // a clock stepping back refills nothing
    return Math.min(this.maxPerMinute, bucket.tokens + (elapsed * this.maxPerMinute) / MINUTE_MS);
  }

  /**
   * Drops full buckets from the stale end, and the stalest ones past the cap.
   * Each call stops at the first bucket still refilling, so it costs O(1) amortized.
   */
  private forgetStale(): void {
    const now = this.now();
    for (const [address, bucket] of this.buckets) {
      const isFull = this.refilled(bucket, now) >= this.maxPerMinute;
      if (!isFull && this.buckets.size <= this.maxAddresses) break;
      this.buckets.delete(address);
    }
  }
}
