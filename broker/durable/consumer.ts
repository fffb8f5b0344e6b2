import type { PendingWatch } from '../ordering/index.js';
import type { StoredMessage } from '../store/index.js';

/** Where a consumer's deliveries go: one connection. */
export interface DeliveryTarget {
  readonly connectionId: string;
  /** True while the connection can take a delivery without piling up unread bytes (reserved ones counted). */
  readonly canTakeMore: boolean;
  /** Bytes of deliveries assigned to it and not yet sent: a pump reserves them, the send releases them. */
  reservedBytes: number;
  /** Queues a MESSAGE [protocol 2.10] with `deliveries` (0: no ack expected) and `flags`. */
  sendDelivery(subId: number, message: StoredMessage, deliveries: number, flags: number): void;
  /** Queues an at-most-once MESSAGE encoded once for many (dropped and counted when the peer is slow). */
  deliver(subId: number, tail: Uint8Array): boolean;
  /** What its ordered consumers' queues hold for it and it has not been sent [protocol 2.17]. */
  readonly pendingWatch: PendingWatch;
  /** Sends PENDING if that changed. */
  flushPending(): void;
}

/** Completions a consumer remembers, for the error of a repeated one. */
const REMEMBERED_COMPLETIONS = 1024;

/**
 * One consumer of one queue: a connection's subscription id with its
 * prefetch window. An at-least-once consumer holds at most `prefetch`
 * unacked deliveries; an at-most-once one (auto-ack) at most `prefetch`
 * deliveries on their way out, while its connection keeps up.
 */
export class Consumer {
  /** The id QueueState knows it by. */
  readonly id: string;
  /** Deliveries sent (or being committed) and not yet acked, nacked or returned. */
  unacked = 0;
  /** Seqs this consumer completed lately (the last {@link REMEMBERED_COMPLETIONS}): a repeated complete is told apart from an unknown one. */
  private readonly completed = new Set<number>();

  constructor(
    readonly target: DeliveryTarget,
    readonly subId: number,
    readonly prefetch: number,
    readonly isAutoAck: boolean,
    /** A causal or total consumer: its queue is watched for what the connection has not been sent (PendingWatch). */
    readonly isOrdered = false,
    /** An exactly-once consumer (RECEIVED then COMPLETE); for the broker's counts only, the queue treats it as at-least-once. */
    readonly isExactlyOnce = false,
  ) {
    this.id = `${target.connectionId}/${subId}`;
  }

  noteCompleted(seq: number): void {
    this.completed.add(seq);
    if (this.completed.size > REMEMBERED_COMPLETIONS) this.completed.delete(this.completed.values().next().value!);
  }

  hasCompleted(seq: number): boolean {
    return this.completed.has(seq);
  }

  /** An at-most-once (auto-ack) consumer's `unacked` counts deliveries not yet sent. */
  get hasCredit(): boolean {
    return this.target.canTakeMore && this.unacked < this.prefetch;
  }
}
