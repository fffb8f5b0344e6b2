import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../broker/guards/index.js';

describe('TokenBucket', () => {
  it('starts full: a burst of its capacity owes nothing, one more owes 1/rate seconds', () => {
    const b = new TokenBucket(100, 100, 0);
    expect(b.take(100, 0)).toBe(0);
    expect(b.balance(0)).toBe(0);
    expect(b.take(1, 0)).toBe(10);
  });

  it('refills at its rate and never past its capacity', () => {
    const b = new TokenBucket(1000, 500, 0);
    b.take(500, 0);
    expect(b.balance(100)).toBeCloseTo(100);
    expect(b.balance(10_000)).toBe(500);
  });

  it('takes into debt (work already read is done) and says how long the debt takes to pay', () => {
    const b = new TokenBucket(200, 200, 0);
    expect(b.take(600, 0)).toBe(2000);
    expect(b.balance(0)).toBe(-400);
    // Half paid a second later.
    expect(b.take(0, 1000)).toBe(1000);
    expect(b.take(0, 2000)).toBe(0);
    expect(b.balance(2000)).toBe(0);
  });

  it('rounds the wait up, so a caller that waits it out finds the debt paid', () => {
    const b = new TokenBucket(3, 3, 0);
    const wait = b.take(4, 0);
    expect(wait).toBe(334);
    expect(b.balance(wait)).toBeGreaterThanOrEqual(0);
  });

  it('ignores a clock that goes backwards (no refill, no loss)', () => {
    const b = new TokenBucket(10, 10, 1000);
    b.take(5, 1000);
    expect(b.balance(500)).toBe(5);
    expect(b.balance(1100)).toBe(6);
  });

  it('admits, over a long run, no more than capacity + rate × elapsed', () => {
    const rate = 50;
    const b = new TokenBucket(rate, rate, 0);
    let now = 0;
    let taken = 0;
    // A greedy taker that waits exactly as long as it is told.
    while (now < 10_000) {
      now += b.take(7, now);
      taken += 7;
    }
    expect(taken).toBeLessThanOrEqual(rate + (rate * now) / 1000 + 7);
  });
});
