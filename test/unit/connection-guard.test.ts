import { totalmem } from 'node:os';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionGuard, DEFAULT_MEMORY_SHARE, MemoryWatch, memoryWatermark, ReadPauses, ResourceAlarms, type Pausable } from '../../broker/guards/index.js';

/** A socket stand-in that records whether it is being read. */
class FakeSocket implements Pausable {
  isPaused = false;
  calls: string[] = [];
  pause(): void { this.isPaused = true; this.calls.push('pause'); }
  resume(): void { this.isPaused = false; this.calls.push('resume'); }
}

const LIMITS = { publishRate: 10, publishBytesRate: 1_000_000, maxInFlightPerConnection: 2, maxUnackedPerConnection: 100 };

function alarms(rss = 0, watermark = 1000): ResourceAlarms {
  const memory = new MemoryWatch(watermark, () => rss, () => undefined);
  memory.check();
  return new ResourceAlarms({ dataDir: '.', durability: 'memory', limits: { memoryHighWatermarkBytes: watermark, diskFreeLimitBytes: 0 } }, () => undefined, memory);
}

describe('ReadPauses', () => {
  it('pauses on the first reason, resumes only when the last is lifted', () => {
    const socket = new FakeSocket();
    const pauses = new ReadPauses(socket);
    pauses.add('publish-quota');
    pauses.add('in-flight');
    pauses.add('in-flight');
    pauses.remove('publish-quota');
    expect(socket.isPaused).toBe(true);
    pauses.remove('in-flight');
    expect(socket.isPaused).toBe(false);
    expect(socket.calls).toEqual(['pause', 'resume']);
  });

  it('resumes a paused socket on close and ignores reasons after it', () => {
    const socket = new FakeSocket();
    const pauses = new ReadPauses(socket);
    pauses.add('in-flight');
    pauses.close();
    expect(socket.isPaused).toBe(false);
    pauses.add('publish-quota');
    expect(socket.isPaused).toBe(false);
    expect(pauses.isPaused).toBe(false);
  });
});

describe('ConnectionGuard', () => {
  let now = 0;
  beforeEach(() => {
    vi.useFakeTimers();
    now = 0;
  });
  afterEach(() => vi.useRealTimers());

  function guard(socket: FakeSocket, a = alarms()): ConnectionGuard {
    return new ConnectionGuard(socket, LIMITS, a, () => now);
  }

  it('pauses a connection that runs its quota dry until the debt is paid', () => {
    const socket = new FakeSocket();
    const g = guard(socket);
    for (let i = 0; i < 15; i++) expect(g.admit(1, 10, false)).toBeUndefined();
    expect(socket.isPaused).toBe(true);
    // 5 owed at 10/s: half a second.
    now = 499;
    vi.advanceTimersByTime(499);
    expect(socket.isPaused).toBe(true);
    now = 500;
    vi.advanceTimersByTime(1);
    expect(socket.isPaused).toBe(false);
  });

  it('keeps the quota pause when in-flight commits settle, and the in-flight pause when the quota refills', async () => {
    const socket = new FakeSocket();
    const g = guard(socket);
    let commit!: () => void;
    const pending = new Promise<void>((resolve) => { commit = resolve; });
    g.track(pending);
    g.track(pending);
    expect(socket.isPaused).toBe(true);
    for (let i = 0; i < 20; i++) g.admit(1, 0, true);
    commit();
    await pending;
    await Promise.resolve();
    expect(g.inFlightCount).toBe(0);
    // The in-flight reason is gone; the quota still holds the socket.
    expect(socket.isPaused).toBe(true);
    now = 1000;
    vi.advanceTimersByTime(1000);
    expect(socket.isPaused).toBe(false);

    // And the other way round.
    let commit2!: () => void;
    const pending2 = new Promise<void>((resolve) => { commit2 = resolve; });
    for (let i = 0; i < 20; i++) g.admit(1, 0, true);
    g.track(pending2);
    g.track(pending2);
    now = 3000;
    vi.advanceTimersByTime(2000);
    expect(socket.isPaused).toBe(true);
    commit2();
    await pending2;
    await Promise.resolve();
    expect(socket.isPaused).toBe(false);
  });

  it('counts a failed commit out of flight too', async () => {
    const socket = new FakeSocket();
    const g = guard(socket);
    const failed = Promise.reject(new Error('disk full'));
    failed.catch(() => undefined);
    g.track(failed);
    g.track(failed);
    expect(socket.isPaused).toBe(true);
    await failed.catch(() => undefined);
    await Promise.resolve();
    expect(g.inFlightCount).toBe(0);
    expect(socket.isPaused).toBe(false);
  });

  it('on close, resumes the socket and stops its timer', () => {
    const socket = new FakeSocket();
    const g = guard(socket);
    for (let i = 0; i < 100; i++) g.admit(1, 0, false);
    expect(socket.isPaused).toBe(true);
    g.close();
    expect(socket.isPaused).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses every message under the memory alarm, and counts it against the quota', () => {
    const socket = new FakeSocket();
    const g = guard(socket, alarms(2000, 1000));
    const refusal = g.admit(1, 10, false);
    expect(refusal?.[0]).toBe('ERR_LIMIT');
    expect(refusal?.[1]).toMatch(/^memory high watermark: /);
    expect(g.admit(0, 0, true)).toBeUndefined();
    for (let i = 0; i < 20; i++) g.admit(1, 10, false);
    expect(socket.isPaused).toBe(true);
  });

  it('refuses a consumer whose prefetch would pass maxUnackedPerConnection; auto-ack consumers hold none', () => {
    const g = guard(new FakeSocket());
    const held = [{ consumer: { prefetch: 60, isAutoAck: false } }, { consumer: { prefetch: 1000, isAutoAck: true } }];
    expect(g.unackedRefusal(held, 40)).toBeUndefined();
    const refusal = g.unackedRefusal(held, 41);
    expect(refusal?.[0]).toBe('ERR_LIMIT');
    expect(refusal?.[1]).toContain('maxUnackedPerConnection (100)');
  });
});

describe('MemoryWatch', () => {
  it('logs one line when it crosses the watermark each way, none while it stays', () => {
    let rss = 10;
    const lines: Record<string, unknown>[] = [];
    const watch = new MemoryWatch(100, () => rss, (line) => lines.push(line));
    watch.check();
    rss = 150;
    watch.check();
    watch.check();
    expect(watch.isAlarmed).toBe(true);
    rss = 90;
    watch.check();
    expect(watch.isAlarmed).toBe(false);
    expect(lines.map((l) => l.event)).toEqual(['memory_alarm_set', 'memory_alarm_cleared']);
  });
});

describe('memoryWatermark', () => {
  it('defaults (0) to 40% of the machine\'s memory, or of the container\'s limit when lower [operations.md 3, security.md]', () => {
    expect(DEFAULT_MEMORY_SHARE).toBe(0.4);
    const limit = process.constrainedMemory();
    const available = limit > 0 ? Math.min(totalmem(), limit) : totalmem();
    expect(memoryWatermark(0)).toBe(Math.floor(0.4 * available));
  });

  it('returns a configured watermark as given', () => {
    expect(memoryWatermark(1)).toBe(1);
    expect(memoryWatermark(123_456_789)).toBe(123_456_789);
    expect(memoryWatermark(Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER);
  });
});
