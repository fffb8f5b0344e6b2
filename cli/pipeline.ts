/**
 * Keeps up to `window` operations (sends, acks) in flight: the broker
 * confirms them in the order they were sent, so waiting for each before the
 * next would cost a round trip (and a store commit) per message. The first
 * failure is kept and thrown by the next add() or by drain().
 */
export class Pipeline {
  private readonly pending = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;
  private onFailure: ((error: unknown) => void) | undefined;

  /** Rejects with the first failure; never resolves. */
  readonly failed: Promise<never>;

  /** @param window most operations in flight at once, at least 1. Default: no limit. */
  constructor(private readonly window = Infinity) {
    this.failed = new Promise<never>((_, reject) => { this.onFailure = reject; });
    // Raced by callers that wait on other things too; unobserved otherwise.
    this.failed.catch(() => undefined);
  }

  /** Tracks `operation`; resolves once fewer than `window` are in flight. Throws the first failure so far. */
  async add(operation: Promise<unknown>): Promise<void> {
    this.check();
    const tracked: Promise<void> = operation.then(
      () => { this.pending.delete(tracked); },
      (error: unknown) => {
        this.pending.delete(tracked);
        if (this.failure === undefined) {
          this.failure = { error };
          this.onFailure?.(error);
        }
      },
    );
    this.pending.add(tracked);
    while (this.pending.size >= this.window) await Promise.race(this.pending);
    this.check();
  }

  /** Resolves once every operation settled; throws the first failure. */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
    this.check();
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }
}
