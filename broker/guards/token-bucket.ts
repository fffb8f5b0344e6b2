/**
 * A token bucket: `ratePerSecond` tokens a second, holding at most
 * `capacity`. Unlike a limiter that refuses, take() always succeeds and may
 * leave the balance negative: work that was already read (the rest of a
 * frame) is done, never dropped, and the caller stops reading until the
 * debt is paid (msUntilPaid). Pure: the time is a parameter (ms, any
 * monotonic clock).
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(readonly ratePerSecond: number, readonly capacity: number, now: number) {
    this.tokens = capacity;
    this.updatedAt = now;
  }

  /** Takes `n` tokens; returns ms until the balance is back to zero (0: nothing owed). */
  take(n: number, now: number): number {
    this.refill(now);
    this.tokens -= n;
    return this.msUntilPaid();
  }

  /** Tokens available at `now` (negative: owed). */
  balance(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  /** Ms until the balance is back to zero, as of the last take() or balance() (0: nothing owed). */
  msUntilPaid(): number {
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.ratePerSecond);
  }

  private refill(now: number): void {
    const elapsed = now - this.updatedAt;
    if (elapsed <= 0) return;
    this.updatedAt = now;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.ratePerSecond) / 1000);
  }
}
