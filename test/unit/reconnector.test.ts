import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Reconnector } from '../../client/reconnector.js';

const lowest = (): number => 0;
const highest = (): number => 1 - Number.EPSILON;

describe('Reconnector', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('doubles the delay per attempt (same random draw)', () => {
    const r = new Reconnector(100, 1_000_000);
    const delays = Array.from({ length: 6 }, () => r.nextDelay(highest));
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200]);
    expect(r.attempts).toBe(6);
  });

  it('caps the delay at maxMs', () => {
    const r = new Reconnector(100, 5000);
    const delays = Array.from({ length: 40 }, () => r.nextDelay(highest));
    expect(Math.max(...delays)).toBe(5000);
    expect(delays.slice(-10)).toEqual(Array(10).fill(5000));
  });

  it('does not overflow after very many attempts', () => {
    const r = new Reconnector(100, 5000);
    let last = 0;
    for (let i = 0; i < 10_000; i++) last = r.nextDelay(Math.random);
    expect(Number.isFinite(last)).toBe(true);
    expect(last).toBeGreaterThanOrEqual(2500);
    expect(last).toBeLessThanOrEqual(5000);
  });

  it('jitters within [ceiling / 2, ceiling] ("equal jitter")', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 10_000 }),
      fc.integer({ min: 1, max: 100_000 }),
      fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 40 }),
      (base, extra, draws) => {
        const max = base + extra;
        const r = new Reconnector(base, max);
        draws.forEach((draw, i) => {
          const ceiling = Math.min(max, base * 2 ** i);
          const delay = r.nextDelay(() => draw);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
          expect(delay).toBeLessThanOrEqual(Math.ceil(ceiling));
        });
      },
    ));
  });

  it('spreads clients out: different draws give different delays', () => {
    const a = new Reconnector(1000, 30_000).nextDelay(lowest);
    const b = new Reconnector(1000, 30_000).nextDelay(highest);
    expect(a).toBe(500);
    expect(b).toBe(1000);
  });

  it('starts again from the base delay after reset()', () => {
    const r = new Reconnector(100, 5000);
    for (let i = 0; i < 5; i++) r.nextDelay(highest);
    r.reset();
    expect(r.attempts).toBe(0);
    expect(r.nextDelay(highest)).toBe(100);
    expect(r.attempts).toBe(1);
  });

  it('runs a scheduled attempt after its delay, once', () => {
    vi.useFakeTimers();
    const r = new Reconnector(100, 5000);
    const fn = vi.fn();
    r.schedule(250, fn);
    vi.advanceTimersByTime(249);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(10_000);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('replaces a pending attempt when scheduling again, and cancel() stops it', () => {
    vi.useFakeTimers();
    const r = new Reconnector(100, 5000);
    const first = vi.fn();
    const second = vi.fn();
    r.schedule(100, first);
    r.schedule(200, second);
    vi.advanceTimersByTime(1000);
    expect(first).not.toHaveBeenCalled();
    expect(second).toHaveBeenCalledTimes(1);
    const third = vi.fn();
    r.schedule(100, third);
    r.cancel();
    vi.advanceTimersByTime(1000);
    expect(third).not.toHaveBeenCalled();
  });
});
