/**
 * Lets a repeated event through at most once per `intervalMs`, counting
 * those held back in between, so that one failure repeated thousands of
 * times a second makes one log line a second, not thousands.
 */
export class Throttle {
  private lastAt = -Infinity;
  private held = 0;

  constructor(private readonly intervalMs: number, private readonly now: () => number = Date.now) {}

  /** For an event let through: how many were held back since the last one (for its line); undefined when this one is held back. */
  pass(): number | undefined {
    const t = this.now();
    if (t - this.lastAt < this.intervalMs) {
      this.held++;
      return undefined;
    }
    this.lastAt = t;
    const held = this.held;
    this.held = 0;
    return held;
  }
}
