import type { Subscriber } from './subscription.js';

/**
 * A subscriber that holds live deliveries back until open(): a subscription
 * registers at once (so nothing published afterwards is missed) while its
 * retained messages and replayed history, read from the store, go out first.
 * Holds at most `maxBytes`; past that, live deliveries are dropped (and
 * counted by the fan-out), as a slow at-most-once subscriber's would be.
 */
export class GatedSubscriber implements Subscriber {
  private held: { subId: number; tail: Uint8Array }[] | undefined = [];
  private heldBytes = 0;

  constructor(private readonly inner: Subscriber, private readonly maxBytes: number) {}

  get connectionId(): string {
    return this.inner.connectionId;
  }

  get canTakeMore(): boolean {
    return this.held === undefined ? this.inner.canTakeMore : this.heldBytes < this.maxBytes;
  }

  deliver(subId: number, tail: Uint8Array): boolean {
    if (this.held === undefined) return this.inner.deliver(subId, tail);
    if (this.heldBytes + tail.length > this.maxBytes) return false;
    this.held.push({ subId, tail: tail.slice() });
    this.heldBytes += tail.length;
    return true;
  }

  /** Sends what was held, in order, and lets deliveries through from now on. */
  open(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const { subId, tail } of held) this.inner.deliver(subId, tail);
  }
}
