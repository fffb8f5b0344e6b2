import { statfs } from 'node:fs/promises';
import type { AlarmLog } from './alarm-log.js';

/** How often the data directory's free space is checked, ms. */
export const DISK_SAMPLE_MS = 1000;

/** Free bytes available to the broker on the disk holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/**
 * Watches free space on the data directory's disk: below the limit the
 * alarm is on and stored publishes and sends are refused, so the store is
 * not the thing that finds the disk full (a failed commit mid-transaction).
 * A failed check (the directory went away) leaves the alarm as it was.
 */
export class DiskWatch {
  /** True while the last check found less free space than the limit. */
  isAlarmed = false;
  /** The last check, bytes (-1 before the first). */
  freeBytes = -1;
  private timer: ReturnType<typeof setInterval> | undefined;
  private isChecking = false;

  constructor(
    readonly dir: string,
    readonly limitBytes: number,
    private readonly measure: (dir: string) => Promise<number> = freeBytes,
    private readonly log: AlarmLog,
  ) {}

  /** Checks now and every DISK_SAMPLE_MS (the timer does not keep the process alive). */
  start(): void {
    void this.check();
    this.timer ??= setInterval(() => void this.check(), DISK_SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One check; overlapping ones are skipped (a slow disk must not pile them up). */
  async check(): Promise<void> {
    if (this.isChecking) return;
    this.isChecking = true;
    try {
      this.freeBytes = await this.measure(this.dir);
    } catch {
      return;
    } finally {
      this.isChecking = false;
    }
    const isBelow = this.freeBytes < this.limitBytes;
    if (isBelow === this.isAlarmed) return;
    this.isAlarmed = isBelow;
    this.log({ event: isBelow ? 'disk_alarm_set' : 'disk_alarm_cleared', freeBytes: this.freeBytes, limitBytes: this.limitBytes, dir: this.dir });
  }
}
