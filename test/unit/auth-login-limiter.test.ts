import { describe, expect, it } from 'vitest';
import { LoginLimiter } from '../../broker/auth/index.js';

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

describe('LoginLimiter', () => {
  it('allows maxPerMinute failures in a burst, then blocks', () => {
    const c = clock();
    const limiter = new LoginLimiter(3, c.now);
    for (let i = 0; i < 3; i++) {
      expect(limiter.isBlocked('10.0.0.1')).toBe(false);
      expect(limiter.retryAfterMs('10.0.0.1')).toBe(0);
      limiter.recordFailure('10.0.0.1');
    }
    expect(limiter.isBlocked('10.0.0.1')).toBe(true);
    expect(limiter.retryAfterMs('10.0.0.1')).toBe(20_000);
  });

  it('keeps addresses apart', () => {
    const limiter = new LoginLimiter(1, clock().now);
    limiter.recordFailure('10.0.0.1');
    expect(limiter.isBlocked('10.0.0.1')).toBe(true);
    expect(limiter.isBlocked('10.0.0.2')).toBe(false);
    expect(limiter.isBlocked('::1')).toBe(false);
  });

  it('refills maxPerMinute per minute', () => {
    const c = clock();
    const limiter = new LoginLimiter(10, c.now);
    for (let i = 0; i < 10; i++) limiter.recordFailure('a');
    expect(limiter.retryAfterMs('a')).toBe(6_000);
    c.advance(5_999);
    expect(limiter.isBlocked('a')).toBe(true);
    expect(limiter.retryAfterMs('a')).toBe(1);
    c.advance(1);
    expect(limiter.isBlocked('a')).toBe(false);
    limiter.recordFailure('a');
    expect(limiter.isBlocked('a')).toBe(true);
    c.advance(30_000);
    for (let i = 0; i < 5; i++) limiter.recordFailure('a');
    expect(limiter.isBlocked('a')).toBe(true);
  });

  it('does not let more failures deepen the debt past empty', () => {
    const c = clock();
    const limiter = new LoginLimiter(2, c.now);
    for (let i = 0; i < 50; i++) limiter.recordFailure('a');
    expect(limiter.retryAfterMs('a')).toBe(30_000);
  });

  it('forgets addresses whose bucket has refilled', () => {
    const c = clock();
    const limiter = new LoginLimiter(2, c.now);
    limiter.recordFailure('a');
    limiter.recordFailure('b');
    expect(limiter.size).toBe(2);
    c.advance(60_000);
    limiter.recordFailure('c'); // sweeps the stale end
    expect(limiter.size).toBe(1);
    c.advance(60_000);
    expect(limiter.isBlocked('c')).toBe(false);
    expect(limiter.size).toBe(0);
  });

  it('caps the addresses it tracks, dropping the least recently failed', () => {
    const c = clock();
    const limiter = new LoginLimiter(1, c.now, 3);
    for (const address of ['a', 'b', 'c']) limiter.recordFailure(address);
    limiter.recordFailure('a'); // a is now the most recent
    limiter.recordFailure('d');
    expect(limiter.size).toBe(3);
    expect(limiter.isBlocked('b')).toBe(false);
    for (const address of ['a', 'c', 'd']) expect(limiter.isBlocked(address), address).toBe(true);
  });

  it('stays within the default cap of 100,000 addresses', () => {
    const limiter = new LoginLimiter(5, clock().now);
    for (let i = 0; i < 100_010; i++) limiter.recordFailure(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    expect(limiter.size).toBe(100_000);
  });

  it('refuses a limit below one', () => {
    expect(() => new LoginLimiter(0)).toThrow(RangeError);
    expect(() => new LoginLimiter(Number.NaN)).toThrow(RangeError);
  });
});
