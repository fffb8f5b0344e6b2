import type { Message } from '../../client/index.js';

/** One thing a consumer saw or did with message `i`, in the order it happened. */
export type DeliveryEvent =
  | { readonly kind: 'delivered'; readonly i: number; readonly deliveries: number }
  | { readonly kind: 'ack-sent' | 'ack-confirmed' | 'nack-confirmed'; readonly i: number; readonly deliveries: number };

/**
 * What consumers of an at-least-once fault test saw, for the checks a fault
 * test makes afterwards: nothing confirmed lost, nothing acked back, the
 * dead letters exactly those that ran out of deliveries.
 */
export class DeliveryLog {
  readonly events: DeliveryEvent[] = [];

  record(kind: DeliveryEvent['kind'], msg: Message<{ i: number }>): void {
    this.events.push({ kind, i: msg.payload.i, deliveries: msg.deliveries });
  }

  ids(kind: DeliveryEvent['kind']): Set<number> {
    return new Set(this.events.filter((e) => e.kind === kind).map((e) => e.i));
  }

  /** Messages delivered again after their ack was confirmed: must be none. */
  deliveredAfterAck(): number[] {
    const acked = new Set<number>();
    const back: number[] = [];
    for (const e of this.events) {
      if (e.kind === 'ack-confirmed') acked.add(e.i);
      else if (e.kind === 'delivered' && acked.has(e.i)) back.push(e.i);
    }
    return back;
  }

  /** The highest delivery count seen per message. */
  maxDeliveries(): Map<number, number> {
    const max = new Map<number, number>();
    for (const e of this.events) if (e.kind === 'delivered') max.set(e.i, Math.max(max.get(e.i) ?? 0, e.deliveries));
    return max;
  }
}
