/**
 * At most `perKey` login checks at once per client address; the others wait
 * their turn. With the failed-login limiter checked after the wait, the
 * password hashes an address can make the broker compute are bounded by its
 * failure budget plus `perKey` − 1, however many attempts it opens at once,
 * while a service opening many connections at once only waits a little.
 */
export class LoginSlots {
  private readonly lanes = new Map<string, { running: number; waiting: (() => void)[] }>();

  constructor(private readonly perKey: number, private readonly maxWaiting: number) {}

  /**
   * Resolves with the function that frees the slot once `key` has one;
   * undefined at once when `maxWaiting` logins of `key` wait already (a
   * queue without end would hold every waiting HELLO in memory).
   */
  async acquire(key: string): Promise<(() => void) | undefined> {
    let lane = this.lanes.get(key);
    if (lane === undefined) this.lanes.set(key, lane = { running: 0, waiting: [] });
    if (lane.running >= this.perKey && lane.waiting.length >= this.maxWaiting) return undefined;
    if (lane.running < this.perKey) lane.running++;
    else await new Promise<void>((resolve) => lane.waiting.push(resolve)); // the slot is handed over
    let isFree = false;
    return () => {
      if (isFree) return;
      isFree = true;
      this.release(key);
    };
  }

  /** Addresses with a check running or waiting (for tests). */
  get size(): number {
    return this.lanes.size;
  }

  private release(key: string): void {
    const lane = this.lanes.get(key)!;
    const next = lane.waiting.shift();
    if (next !== undefined) next();
    else if (--lane.running === 0) this.lanes.delete(key);
  }
}
