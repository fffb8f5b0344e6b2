import type { Message } from '../../client/index.js';

/** One thing a consumer saw or did with a delivery of message `i` (the payload's number; `seq`: the stored message). */
export interface DeliveryEvent {
  readonly kind: 'delivered' | 'ack-sent' | 'ack-confirmed' | 'nack-confirmed';
  readonly i: number;
  readonly seq: number;
  readonly deliveries: number;
}

/**
 * What consumers of an at-least-once fault test saw, for the checks a fault
 * test makes afterwards: nothing confirmed lost, nothing acked back, the
 * dead letters exactly those that ran out of deliveries. A publisher that
 * resends after a reconnect may store a message twice (two seqs, one `i`):
 * at-least-once allows that duplicate, so "acked, then back" is per seq.
 */
export class DeliveryLog {
  readonly events: DeliveryEvent[] = [];

  record(kind: DeliveryEvent['kind'], msg: Message<{ i: number }>): void {
    this.events.push({ kind, i: msg.payload.i, seq: msg.seq, deliveries: msg.deliveries });
  }

  /** The payload numbers of the messages with an event of this kind. */
  ids(kind: DeliveryEvent['kind']): Set<number> {
    return new Set(this.events.filter((e) => e.kind === kind).map((e) => e.i));
  }

  /**
   * Stored messages (seqs) the broker delivered again after their ack was
   * confirmed: must be none. A delivery made after the ack would carry a
   * higher count than the acked one; a handler may still meet an older
   * delivery of it late (one that waited in its buffer while a stalled
   * handler let the deadline pass and another consumer acked the redelivery).
   */
  deliveredAfterAck(): number[] {
    const ackedAt = new Map<number, number>();
    const back: number[] = [];
    for (const e of this.events) {
      if (e.kind === 'ack-confirmed') ackedAt.set(e.seq, Math.max(ackedAt.get(e.seq) ?? 0, e.deliveries));
      else if (e.kind === 'delivered' && e.deliveries > (ackedAt.get(e.seq) ?? Infinity)) back.push(e.seq);
    }
    return back;
  }

  /** Everything that happened to stored message `seq`, for a failure's message. */
  story(seq: number): string {
    return JSON.stringify(this.events.filter((e) => e.seq === seq));
  }

  /** The highest delivery count seen per stored message (seq). */
  maxDeliveries(): Map<number, number> {
    const max = new Map<number, number>();
    for (const e of this.events) if (e.kind === 'delivered') max.set(e.seq, Math.max(max.get(e.seq) ?? 0, e.deliveries));
    return max;
  }
}
