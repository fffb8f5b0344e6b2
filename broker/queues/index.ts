/**
 * queues/: the pure core of durable point-to-point queues (shared/DESIGN.md,
 * Queues): one QueueState per queue (ready, delayed and in-flight entries;
 * ack, nack, deadlines, TTL, max length, dead-lettering, priorities, purge,
 * peek) and the queue settings with their defaults. The broker drives it; timers,
 * sockets and the store stay outside.
 *
 * Invariants:
 * - Pure: no I/O, no timers, no randomness. Time comes in as `now`, ms since
 *   the epoch, and never runs backwards inside a QueueState (each method uses
 *   the latest `now` it was given). Imports: errors/, protocol/ (the wire's
 *   duration limits), and store/ for types only.
 * - Persist first: every change returns the StoreOps that make the store
 *   hold exactly the entries records() lists. The broker commits them in the
 *   order they were returned (a batch may carry several results' ops), and
 *   only then acts on the result: confirms a publish, sends a delivery,
 *   answers an ack. A refused ack, nack or extend changes nothing; a refused
 *   publish (reject-publish) at most removed expired entries, and says so.
 * - In-flight state (consumer, deadline) is never stored: after a restart,
 *   recover() makes every entry waiting again, with its delivery count.
 * - Each entry is in exactly one place: ready, delayed, or in flight to one
 *   consumer. It leaves the queue exactly once: acked, dead-lettered
 *   (moveEntry to the dead-letter queue, or deleted when there is none),
 *   dropped by drop-oldest, expired, or purged.
 * - Delivery order: highest priority, then lowest message id. A message that
 *   comes back keeps its id, so it is not overtaken by later messages of its
 *   priority: fifo holds across redeliveries (shared/DESIGN.md, Ordering).
 * - Never delivered: a message past its TTL (expiresAt ≤ now), or one already
 *   delivered maxDeliveries times (it is dead-lettered instead).
 * - maxLength bounds the waiting (ready + delayed) entries; an in-flight
 *   entry is never dropped. Prefetch and consumer choice are the broker's.
 * - Dead letters cross queues through the broker: the source's result names
 *   the entries it moved, and the broker hands each to the dead-letter
 *   queue's acceptDeadLetter(), committing the source's ops first.
 */
export { QueueState } from './queue-state.js';
export {
  parseQueueSettings, resolveQueueSettings, QUEUE_SETTING_DEFAULTS, OVERFLOW_POLICIES, DEAD_LETTER_SUFFIX,
  MAX_DURATION_MS, MAX_ACK_DEADLINE_MS, MAX_QUEUE_NAME_LENGTH,
} from './queue-settings.js';
export type { QueueSettings, ResolvedQueueSettings, OverflowPolicy } from './queue-settings.js';
export type {
  AcceptResult, AdvanceResult, DeliverResult, Delivery, EnqueueResult, ExtendResult, NackResult, NewEntry,
  PurgeResult, QueueCounts, QueueRefusal, ReturnedEntry, ReturnOutcome, ReturnResult, TakeResult,
} from './queue-results.js';
