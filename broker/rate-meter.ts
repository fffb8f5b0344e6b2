/**
 * Messages per second over a sliding window of a few samples of a
 * monotonically increasing counter.
 */
export class RateMeter {
  /** How often the broker samples its counters. */
  static readonly SAMPLE_MS = 1000;
  /** Samples kept: the rate covers the last WINDOW - 1 intervals. */
  static readonly WINDOW = 6;

  private readonly samples: { at: number; count: number }[] = [];

  sample(count: number, at = Date.now()): void {
    this.samples.push({ at, count });
    if (this.samples.length > RateMeter.WINDOW) this.samples.shift();
  }

  perSecond(): number {
    if (this.samples.length < 2) return 0;
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const seconds = (last.at - first.at) / 1000;
    return seconds > 0 ? Math.round((last.count - first.count) / seconds) : 0;
  }
}
