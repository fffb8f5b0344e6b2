import type { AlarmLog } from './alarm-log.js';
import { DiskWatch } from './disk-watch.js';
import { MemoryWatch, memoryWatermark } from './memory-watch.js';

/** The settings the alarms read (a subset of BrokerConfig). */
export interface AlarmSettings {
  readonly dataDir: string;
  readonly durability: string;
  readonly limits: { readonly memoryHighWatermarkBytes: number; readonly diskFreeLimitBytes: number };
}

const MB = 1024 * 1024;

function megabytes(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

/**
 * The broker-wide resource alarms: memory high watermark and disk low
 * watermark. While one is on, messages coming in are refused (ERR_LIMIT)
 * rather than slowed, so the peer learns why; what lets the broker recover
 * (acks, nacks, consumers and subscribers draining) keeps working.
 */
export class ResourceAlarms {
  readonly memory: MemoryWatch;
  /** None under durability 'memory' (no file) or with limits.diskFreeLimitBytes 0. */
  readonly disk: DiskWatch | undefined;

  /** `log`: where the watches made here say when an alarm goes on or off. */
  constructor(settings: AlarmSettings, log: AlarmLog, memory?: MemoryWatch, disk?: DiskWatch) {
    this.memory = memory ?? new MemoryWatch(memoryWatermark(settings.limits.memoryHighWatermarkBytes), undefined, log);
    const watchesDisk = settings.durability !== 'memory' && settings.limits.diskFreeLimitBytes > 0;
    this.disk = disk ?? (watchesDisk ? new DiskWatch(settings.dataDir, settings.limits.diskFreeLimitBytes, undefined, log) : undefined);
  }

  start(): void {
    this.memory.start();
    this.disk?.start();
  }

  stop(): void {
    this.memory.stop();
    this.disk?.stop();
  }

  get isMemoryAlarmed(): boolean {
    return this.memory.isAlarmed;
  }

  get isDiskAlarmed(): boolean {
    return this.disk?.isAlarmed ?? false;
  }

  /**
   * Why a message must be refused now, or undefined. `isStored`: it would
   * be written to the store (at-least-once, exactly-once, retained, any
   * send); at-most-once publishes pass a disk alarm, as they write nothing.
   */
  refusal(isStored: boolean): string | undefined {
    if (this.memory.isAlarmed) return this.memoryReason();
    if (isStored && this.disk?.isAlarmed) return this.diskReason(this.disk);
    return undefined;
  }

  /** Every alarm on now, worded as refusal() words it (for /readyz); empty when none is. */
  reasons(): string[] {
    const reasons: string[] = [];
    if (this.memory.isAlarmed) reasons.push(this.memoryReason());
    if (this.disk?.isAlarmed) reasons.push(this.diskReason(this.disk));
    return reasons;
  }

  private memoryReason(): string {
    return `memory high watermark: the broker uses ${megabytes(this.memory.rssBytes)}, above its limit of ${megabytes(this.memory.watermarkBytes)}; publishes and sends are refused until consumers drain it`;
  }

  private diskReason(disk: DiskWatch): string {
    return `disk low watermark: ${megabytes(disk.freeBytes)} free on the data directory's disk, below the limit of ${megabytes(disk.limitBytes)}; stored publishes and sends are refused`;
  }
}
