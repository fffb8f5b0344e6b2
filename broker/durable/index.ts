/**
 * durable/: delivery that survives — the store, durable queues at run time
 * and the stored side of topics (at-least-once subscriptions, retained
 * messages, history for replay) [semantics 1.2].
 *
 * Invariants:
 * - Persist first: a request that changes stored state is answered (a
 *   publish or send confirmed, an ack or nack acknowledged) only after its
 *   batch committed; a delivery is sent only after its delivery count
 *   committed (written, not fsynced: a power cut is the exception), so
 *   `deliveries` never undercounts and a message is never delivered more
 *   than maxDeliveries times, across restarts.
 * - One batch per request or per queue pump; the store groups the batches
 *   of a turn into one transaction (group commit), so one fsync confirms
 *   many messages.
 * - The router holds one QueueSubscription per subscription queue, however
 *   many consumers it has; an at-least-once publish is stored once and
 *   referenced by an entry in each matching subscription queue.
 * - Idempotent publishes (exactly-once) are stored once per producer and
 *   sequence: the sequence record commits in the message's own batch.
 * - Queues of non-durable subscriptions are deleted with their last
 *   consumer, and at start if a crash left them behind.
 */
export { DurableEngine, MessageFlags, isEmptyPayload } from './engine.js';
export type { DurableSettings, IncomingMessage, Output, ProducerSeq, StoredPublishResult } from './engine.js';
export { ProducerRegistry, messageDigest } from './producers.js';
export type { ProducerLimits, ProducerVerdict } from './producers.js';
export { DurableQueue } from './durable-queue.js';
export type { Binding } from './durable-queue.js';
export { Consumer } from './consumer.js';
export type { DeliveryTarget } from './consumer.js';
export { isConnectionQueue, isKeptQueueOf, queueNameError, queueTopic, shownTopic, subscriptionQueueName, subscriptionQueueParts } from './queue-names.js';
export type { SubscriptionQueueParts } from './queue-names.js';
export { isQueueSubscription } from './queue-subscription.js';
