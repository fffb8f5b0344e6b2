import { totalmem } from 'node:os';
import type { AlarmLog } from './alarm-log.js';

/** How often the broker's resident memory is sampled, ms. */
export const MEMORY_SAMPLE_MS = 250;

/** Share of the machine's memory (or of the container's limit, when lower) used when limits.memoryHighWatermarkBytes is 0. */
export const DEFAULT_MEMORY_SHARE = 0.4;

/**
 * The high watermark in bytes: `configured`, or with 0, 40% of the memory
 * the process may use (the machine's, or its cgroup's limit when lower), as
 * RabbitMQ's vm_memory_high_watermark.
 */
export function memoryWatermark(configured: number): number {
  if (configured > 0) return configured;
  let available = totalmem();
  // Node 20 reports the cgroup limit (2^64 when there is none).
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  if (constrained !== undefined && constrained > 0 && constrained < available) available = constrained;
  return Math.floor(available * DEFAULT_MEMORY_SHARE);
}

/**
 * Watches the broker's resident memory: above the watermark the alarm is
 * on, and publishes and sends are refused until a sample finds it below
 * again. Sampling (not a check per message) keeps the publish path free of
 * system calls; between two samples a connection can add at most its
 * publish quota's worth.
 */
export class MemoryWatch {
  /** True while the last sample was above the watermark. */
  isAlarmed = false;
  /** The last sample, bytes. */
  rssBytes = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    readonly watermarkBytes: number,
    private readonly sample: () => number = () => process.memoryUsage.rss(),
    private readonly log: AlarmLog,
  ) {}

  /** Samples now and every MEMORY_SAMPLE_MS (the timer does not keep the process alive). */
  start(): void {
    this.check();
    this.timer ??= setInterval(() => this.check(), MEMORY_SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Takes one sample and switches the alarm when it crossed the watermark. */
  check(): void {
    this.rssBytes = this.sample();
    const isAbove = this.rssBytes > this.watermarkBytes;
    if (isAbove === this.isAlarmed) return;
    this.isAlarmed = isAbove;
    this.log({ event: isAbove ? 'memory_alarm_set' : 'memory_alarm_cleared', rssBytes: this.rssBytes, watermarkBytes: this.watermarkBytes });
  }
}
