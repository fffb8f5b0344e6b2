import type { EntryRecord, StoreOp } from '../store/index.js';

/**
 * What QueueState's methods take and return. Every result of a change
 * carries `ops`: the store operations that make the store hold what the
 * state now holds. The broker commits them, in the order returned, before it
 * acts on the result (confirms a publish, sends a delivery).
 */

/** A message offered to a queue by enqueue(). */
export interface NewEntry {
  /** The stored message's id (broker-assigned, unique, never reused). */
  readonly messageId: number;
  /** 0 (lowest) to 9. */
  readonly priority: number;
  /** Not deliverable before this time, ms since the epoch (delayed delivery). Default: now. */
  readonly availableAt?: number;
  /** The message's own expiry (per-message TTL), ms since the epoch; null or absent: none. */
  readonly expiresAt?: number | null;
}

/** What enqueue() did. */
export interface EnqueueResult {
  /** False when the queue was full and its overflow policy is reject-publish (answer ERR_LIMIT). */
  readonly accepted: boolean;
  readonly ops: StoreOp[];
  /** Waiting messages deleted to make room (overflow drop-oldest), oldest first. */
  readonly droppedMessageIds: readonly number[];
  /** Waiting messages past their TTL, removed first when the queue was full. */
  readonly expiredMessageIds: readonly number[];
}

/** A message handed to a consumer by deliver(). */
export interface Delivery {
  readonly messageId: number;
  readonly priority: number;
  /** Deliveries so far, this one included: 1 on the first. */
  readonly deliveries: number;
  /** True from the second delivery on (deliveries > 1). */
  readonly redelivered: boolean;
  /** When the delivery comes back to the queue unless acked or extended, ms since the epoch. */
  readonly deadline: number;
  /** When the message expires, ms since the epoch, or null. */
  readonly expiresAt: number | null;
}

/** What deliver() did. */
export interface DeliverResult {
  /** The delivery, or undefined when nothing is deliverable now. */
  readonly delivery: Delivery | undefined;
  readonly ops: StoreOp[];
  /** Messages past their TTL met at the head of the queue and removed, never delivered. */
  readonly expiredMessageIds: readonly number[];
  /**
   * Messages met at the head that were already delivered maxDeliveries times
   * (after a restart, or a lowered maxDeliveries), dead-lettered instead. Each
   * as it was in this queue: hand it to the dead-letter queue's acceptDeadLetter().
   */
  readonly deadLettered: readonly EntryRecord[];
}

/** What became of an in-flight message that came back unacked. */
export type ReturnOutcome = 'requeued' | 'dead-lettered';

/** One in-flight message that came back: its consumer (to free its prefetch credit) and its fate. */
export interface ReturnedEntry {
  readonly consumerId: string;
  readonly outcome: ReturnOutcome;
  /** The entry as it was in this queue when it came back (for a dead letter: hand it to the DLQ's acceptDeadLetter()). */
  readonly entry: EntryRecord;
}

/** What nack() did. */
export interface NackResult {
  readonly ops: StoreOp[];
  readonly outcome: ReturnOutcome;
  readonly entry: EntryRecord;
}

/** What extendDeadline() did. */
export interface ExtendResult {
  /** Always empty: deadlines are not stored (nothing is in flight after a restart). */
  readonly ops: StoreOp[];
  /** The new deadline, ms since the epoch. */
  readonly deadline: number;
}

/** What expireDeadlines() and releaseConsumer() did. */
export interface ReturnResult {
  readonly ops: StoreOp[];
  readonly returned: readonly ReturnedEntry[];
}

/** What advance() did: in-flight entries past their deadline, then waiting entries past their TTL. */
export interface AdvanceResult extends ReturnResult {
  readonly expiredMessageIds: readonly number[];
}

/** What purge() did. */
export interface PurgeResult {
  readonly ops: StoreOp[];
  readonly purgedMessageIds: readonly number[];
}

/** What takeReady() did. */
export interface TakeResult {
  /** moveEntry ops of the entries taken, deleteEntry ops of the expired ones met. */
  readonly ops: StoreOp[];
  /** The entries taken, in delivery order, as they were here: give each to the target's acceptDeadLetter(). */
  readonly taken: readonly EntryRecord[];
  readonly expiredMessageIds: readonly number[];
}

/** What acceptDeadLetter() did. */
export interface AcceptResult {
  readonly ops: StoreOp[];
  /** Waiting messages deleted to make room (overflow drop-oldest; the arrival itself may be the oldest). */
  readonly droppedMessageIds: readonly number[];
  readonly expiredMessageIds: readonly number[];
}

/** A queue's depth. */
export interface QueueCounts {
  /** Deliverable now (expired ones not yet removed included). */
  readonly ready: number;
  /** Waiting for their availableAt. */
  readonly delayed: number;
  /** Delivered, not yet acked or nacked. */
  readonly inFlight: number;
  /** ready + delayed + inFlight: the entries the store holds for this queue. */
  readonly total: number;
}

/** Why ack, nack or extendDeadline refused: no such delivery to that consumer, or a bad duration. */
export type QueueRefusal = 'ERR_NOT_FOUND' | 'ERR_BAD_REQUEST';
