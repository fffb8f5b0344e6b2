/**
 * Reconnect delays: exponential from `baseMs` up to `maxMs`, with "equal
 * jitter" (half fixed, half random) so a broker restart is not met by every
 * client at the same instant.
 */
export class Reconnector {
  /** Attempts since the last successful connection. */
  attempts = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly baseMs: number, private readonly maxMs: number) {}

  /** Counts an attempt and returns how long to wait before it. */
  nextDelay(random: () => number = Math.random): number {
    this.attempts++;
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempts - 1, 30));
    return Math.round(ceiling / 2 + random() * (ceiling / 2));
  }

  schedule(delayMs: number, fn: () => void): void {
    this.cancel();
    this.timer = setTimeout(fn, delayMs);
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  reset(): void {
    this.attempts = 0;
  }
}
