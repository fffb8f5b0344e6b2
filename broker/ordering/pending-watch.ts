/** Where a connection's ordered deliveries wait before they are sent: a queue behind an ordered subscription or consumer. */
export interface OrderedSource {
  /** The lowest message id waiting in it (ready or delayed), if any. */
  lowestWaitingId(): number | undefined;
}

/**
 * What one connection has been routed through its causal and total
 * subscriptions and not yet sent [protocol 2.17]: the waiting messages of
 * the queues behind them, and deliveries taken from those queues whose
 * commit is still pending. Its lowest id, sent as PENDING whenever it
 * changed, lets the client tell a message still to come (hold back) from one
 * it will never get (not subscribed: never routed here).
 *
 * The caller keeps the order on the socket: the value goes out before an
 * ordered delivery (so a message that overtook an earlier one is held), and
 * after a batch of deliveries (so what waited for them is released).
 */
export class PendingWatch {
  /** Ids taken for delivery and not yet written, with how many deliveries of each. */
  private readonly unsent = new Map<number, number>();
  /** The lowest of them (Infinity: none), or undefined when it must be found again (the lowest was sent). */
  private unsentLow: number | undefined = Infinity;
  private lastSent = 0;

  /** `sources`: the queues behind the connection's ordered subscriptions and consumers, as they are now. */
  constructor(private readonly sources: () => Iterable<OrderedSource>) {}

  /** Message `id` was taken from a source for this connection; it is on its way. */
  willSend(id: number): void {
    this.unsent.set(id, (this.unsent.get(id) ?? 0) + 1);
    if (this.unsentLow !== undefined && id < this.unsentLow) this.unsentLow = id;
  }

  /** The delivery willSend() announced was written (or will never be). */
  sent(id: number): void {
    const n = this.unsent.get(id);
    if (n === undefined) return;
    if (n > 1) {
      this.unsent.set(id, n - 1);
      return;
    }
    this.unsent.delete(id);
    if (id === this.unsentLow) this.unsentLow = undefined;
  }

  /** The lowest id routed here and not sent yet, 0 when none. */
  lowest(): number {
    let low = Infinity;
    for (const source of this.sources()) {
      const id = source.lowestWaitingId();
      if (id !== undefined && id < low) low = id;
    }
    if (this.unsentLow === undefined) {
      // Found again once per batch of sends (they are released together), not once per delivery.
      this.unsentLow = Infinity;
      for (const id of this.unsent.keys()) if (id < this.unsentLow) this.unsentLow = id;
    }
    low = Math.min(low, this.unsentLow);
    return low === Infinity ? 0 : low;
  }

  /** The value to send when it differs from the one sent last, else undefined. */
  changed(): number | undefined {
    const now = this.lowest();
    if (now === this.lastSent) return undefined;
    this.lastSent = now;
    return now;
  }
}
