import { fanOutAtMostOnce, isGroup, orderedTail, pickMember, type FanOutResult, type Router } from '../delivery/index.js';
import { OrdoError } from '../errors/index.js';
import { MessageTailEncoder, type DeliveryTag, type Headers, type QueueInfo, type StoreStats } from '../protocol/index.js';
import type { MessageOrder, RecoveredState, RetentionLimits, Store, StoredMessage, StoreOp } from '../store/index.js';
import type { Consumer } from './consumer.js';
import type { DurableQueue } from './durable-queue.js';
import { MessageCache } from './message-cache.js';
import { Persister } from './persister.js';
import { ProducerRegistry, messageDigest, type ProducerLimits } from './producers.js';
import { queueTopic } from './queue-names.js';
import { QueueRegistry } from './queue-registry.js';
import { RetainedIndex } from './retained-index.js';
import { isQueueSubscription } from './queue-subscription.js';

/** The engine's settings (from the broker configuration). */
export interface DurableSettings {
  /** A send or consume naming a missing queue creates it (with default settings). */
  readonly autoCreateQueues: boolean;
  /** Per-topic history, and how often stored messages nothing needs are removed. */
  readonly retention: RetentionLimits & { readonly compactIntervalMs: number };
  /** Bytes of recently published messages kept in memory for delivery. */
  readonly messageCacheBytes: number;
  /** Idempotent publishers: the sequences remembered per producer, and for how long. */
  readonly producers: ProducerLimits;
  /** Most queues (subscription and dead-letter queues included); creating more is refused with ERR_LIMIT. Default: no limit. */
  readonly maxQueues?: number;
}

/** An idempotent publish's producer id and sequence [semantics 1.3]. */
export interface ProducerSeq {
  readonly producer: string;
  readonly seq: number;
}

/** A message as a publish or send brings it, before it has an id. */
export interface IncomingMessage {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly headers: Headers | null;
  readonly replyTo: string | null;
  /** Causal or total order, as the broker stamped it (orderStamp); absent for fifo. */
  readonly order?: MessageOrder;
}

/** A message ack-publish stores: to a topic (at-least-once) or to a queue. */
export type Output =
  | { readonly topic: string; readonly queue?: undefined; readonly payload: Uint8Array; readonly headers: Headers | null }
  | { readonly queue: string; readonly topic?: undefined; readonly payload: Uint8Array; readonly headers: Headers | null };

/** What a stored publish did, for its confirm. */
export interface StoredPublishResult {
  readonly id: number;
  /** Subscriptions (queues and at-most-once ones, groups once) that matched. */
  readonly matched: number;
  /** Subscription queues that were full and refused it, and at-most-once deliveries dropped. */
  readonly dropped: number;
  /** True when this was a retry of an idempotent publish stored before: `id` is the original's, nothing was stored now. */
  readonly duplicate?: true;
}

/** Flags of a MESSAGE [protocol 2.10]. */
export const MessageFlags = { retained: 1, replayed: 2 } as const;

const encoder = new MessageTailEncoder();

/**
 * Durable delivery [semantics 1.2]: the store, the queues and the stored
 * side of topics (at-least-once publishes, retained messages, history for
 * replay). Every handler that stores goes through here: it builds one batch
 * per request, commits it, and answers only after the commit.
 */
export class DurableEngine {
  readonly persister: Persister;
  readonly queues: QueueRegistry;
  readonly producers: ProducerRegistry;
  /** The store's instance id (see RecoveredState.instance); set by start(). */
  instance = '';
  private readonly cache: MessageCache;
  private readonly retainedIndex = new RetainedIndex();
  private compactTimer: ReturnType<typeof setInterval> | undefined;
  private isCompacting = false;

  constructor(
    readonly store: Store,
    private readonly router: Router,
    readonly settings: DurableSettings,
    private readonly nextId: () => number,
  ) {
    this.persister = new Persister(store);
    this.cache = new MessageCache(store, settings.messageCacheBytes);
    this.queues = new QueueRegistry(this.persister, this.cache, router, settings.maxQueues);
    this.producers = new ProducerRegistry(settings.producers);
  }

  /** Rebuilds the queues from what the store recovered and starts compaction. */
  async start(state: RecoveredState): Promise<void> {
    await this.persister.commit(this.queues.recover(state, Date.now()));
    this.producers.load(state.producerSeqs, Date.now());
    this.instance = state.instance;
    this.retainedIndex.load(await this.store.getRetained(['#']));
    this.compactTimer = setInterval(() => void this.compact(), this.settings.retention.compactIntervalMs);
    this.compactTimer.unref();
  }

  /**
   * A new stored message with the next id. The payload is copied (it may be
   * a view into a frame, which it must not keep alive) into Node's shared
   * buffer pool: a small payload gets no ArrayBuffer of its own, which cost
   * the broker's thread about 3 µs per message in allocation and collection.
   * The price: a message held long (cached, or waiting in a queue) keeps its
   * 8 KiB pool slab alive, which the message cache's byte count does not see.
   */
  newMessage(topic: string, incoming: Omit<IncomingMessage, 'topic'>, now: number, priority = 0, expiresAt: number | null = null): StoredMessage {
    const message = {
      id: this.nextId(), topic, payload: Buffer.from(incoming.payload),
      headers: incoming.headers, replyTo: incoming.replyTo, publishedAt: now, expiresAt, priority,
    };
    return incoming.order === undefined ? message : { ...message, order: incoming.order };
  }

  /**
   * An at-least-once (or retained) publish to a topic: stored (history,
   * retained slot), added to every matching subscription queue, passed at
   * most once to the other subscribers now; resolves after the commit.
   * `retain` with an empty payload clears the topic's retained message and
   * stores nothing else.
   */
  publish(incoming: IncomingMessage, isAtLeastOnce: boolean, retain: boolean, idempotent?: ProducerSeq): Promise<StoredPublishResult> {
    const now = Date.now();
    const { digest, earlier } = this.idempotency(idempotent, incoming.topic, incoming);
    if (earlier) return earlier.then((id) => ({ id, matched: 0, dropped: 0, duplicate: true }));
    if (retain && isEmptyPayload(incoming.payload)) {
      // As in MQTT, the clearing publish still reaches who is subscribed now, at most once, unstored.
      this.retainedIndex.clear(incoming.topic);
      const id = this.nextId();
      const fanned: FanOutResult = { matched: 0, dropped: 0 };
      fanOutAtMostOnce(this.router, incoming.topic, incoming.payload, incoming.headers, incoming.replyTo, id, now, fanned, incoming.order);
      return this.persister.commit([{ op: 'setRetained', topic: incoming.topic, messageId: null }])
        .then(() => ({ id, matched: fanned.matched, dropped: fanned.dropped }));
    }
    const message = this.newMessage(incoming.topic, incoming, now);
    const batch: StoreOp[] = [{ op: 'putMessage', message }];
    if (retain) {
      batch.push({ op: 'setRetained', topic: message.topic, messageId: message.id });
      this.retainedIndex.set(message);
    }
    const { matched, dropped } = this.route(message, isAtLeastOnce, batch, now);
    return this.commitIdempotent(batch, message.id, idempotent, digest, now).then(() => ({ id: message.id, matched, dropped }));
  }

  /**
   * A stored message (its putMessage in `batch`) goes to every matching
   * subscription queue (at-least-once) and, at most once, to the other
   * subscribers now.
   */
  private route(message: StoredMessage, isAtLeastOnce: boolean, batch: StoreOp[], now: number): { matched: number; dropped: number } {
    const targets = this.router.match(message.topic);
    let tail: Uint8Array | undefined;
    let dropped = 0;
    let enqueued = 0;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i];
      if (isQueueSubscription(target) && isAtLeastOnce) {
        if (target.queue.enqueue(message, 0, undefined, null, now, batch)) enqueued++;
        else dropped++;
        continue;
      }
      const sub = isGroup(target) ? pickMember(target) : target;
      tail ??= encoder.encode(message.topic, message.payload, message.headers, message.replyTo, message.id, now, orderedTail(message.order));
      if (!sub.subscriber.deliver(sub.subId, tail)) dropped++;
    }
    // Cached for the deliveries of the queues that took it (their pumps run after this returns);
    // a message only kept as history or retained is read back from the store, if ever.
    if (enqueued > 0) this.cache.put(message);
    return { matched: targets.length, dropped };
  }

  /**
   * Acks `tags` of `consumer` on `queue` and stores `outputs` in one commit
   * [protocol 2.16]: both happen, or neither. Refused whole (nothing
   * changes) with ERR_NOT_FOUND when the consumer does not hold every tag,
   * ERR_LIMIT when a queue output would not fit. Resolves with the outputs' ids.
   */
  ackAndPublish(queue: DurableQueue, consumer: Consumer, tags: readonly DeliveryTag[], outputs: readonly Output[]): Promise<number[]> {
    const notHeld = queue.notHeld(consumer, tags);
    if (notHeld.length > 0) {
      return Promise.reject(new OrdoError('ERR_NOT_FOUND', `ack-publish: ${notHeld.length} of ${tags.length} deliveries are not held by subscription ${consumer.subId}; nothing was acked or published`));
    }
    const now = Date.now();
    const batch: StoreOp[] = [];
    let targets: Map<string, DurableQueue>;
    try {
      targets = this.outputQueues(outputs, batch);
    } catch (err) {
      return Promise.reject(err);
    }
    queue.ack(consumer, tags, batch);
    const ids = outputs.map((output) => {
      const incoming = { payload: output.payload, headers: output.headers, replyTo: null };
      if (output.queue === undefined) {
        const message = this.newMessage(output.topic, incoming, now);
        batch.push({ op: 'putMessage', message });
        this.route(message, true, batch, now);
        return message.id;
      }
      const message = this.newMessage(queueTopic(output.queue), incoming, now);
      batch.push({ op: 'putMessage', message });
      targets.get(output.queue)!.enqueue(message, 0, undefined, null, now, batch);
      this.cache.put(message);
      return message.id;
    });
    return this.persister.commit(batch).then(() => ids);
  }

  /**
   * A message for queue `name`: stored and enqueued; resolves with its id
   * after the commit. ERR_NOT_FOUND for a missing queue unless queues are
   * created on first use; ERR_LIMIT when the queue is full and rejects.
   */
  send(
    name: string, incoming: Omit<IncomingMessage, 'topic'>, options: { priority: number; delayMs: number; ttlMs: number | null },
    idempotent?: ProducerSeq,
  ): Promise<{ id: number; duplicate?: true }> {
    const now = Date.now();
    const { digest, earlier } = this.idempotency(idempotent, queueTopic(name), incoming);
    if (earlier) return earlier.then((id) => ({ id, duplicate: true }));
    const batch: StoreOp[] = [];
    const queue = this.queueForUse(name, batch);
    const expiresAt = options.ttlMs === null ? null : now + options.ttlMs;
    const message = this.newMessage(queueTopic(name), incoming, now, options.priority, expiresAt);
    batch.push({ op: 'putMessage', message });
    const availableAt = options.delayMs > 0 ? now + options.delayMs : undefined;
    if (!queue.enqueue(message, options.priority, availableAt, expiresAt, now, batch)) {
      // Expired entries removed to make room still go (their ops), the refused message does not.
      batch.splice(batch.findIndex((op) => op.op === 'putMessage'), 1);
      void this.persister.commit(batch).catch((err: unknown) => this.queues.reportError(err));
      return Promise.reject(new OrdoError('ERR_LIMIT', `queue ${name} is full (maxLength ${queue.state.settings.maxLength}, overflow reject-publish)`));
    }
    this.cache.put(message);
    return this.commitIdempotent(batch, message.id, idempotent, digest, now).then(() => ({ id: message.id }));
  }

  /**
   * An idempotent message's digest and, for a retry of a sequence seen
   * before, `earlier`: the original's id (once it is committed), or
   * ERR_CONFLICT. Nothing for a message without a producer sequence.
   */
  private idempotency(
    idempotent: ProducerSeq | undefined, destination: string, incoming: Omit<IncomingMessage, 'topic'>,
  ): { digest?: Uint8Array; earlier?: Promise<number> } {
    if (idempotent === undefined) return {};
    const digest = messageDigest(destination, incoming.payload, incoming.headers);
    const verdict = this.producers.check(idempotent.producer, idempotent.seq, digest);
    switch (verdict.kind) {
      case 'new': return { digest };
      case 'duplicate': return { digest, earlier: Promise.resolve(verdict.messageId) };
      case 'pending': return { digest, earlier: verdict.stored };
      case 'conflict': return { digest, earlier: Promise.reject(new OrdoError('ERR_CONFLICT', verdict.reason)) };
    }
  }

  /** Commits a message's batch, with its producer sequence when it has one. */
  private commitIdempotent(batch: StoreOp[], messageId: number, idempotent: ProducerSeq | undefined, digest: Uint8Array | undefined, now: number): Promise<void> {
    if (idempotent === undefined || digest === undefined) return this.persister.commit(batch);
    const seq = this.producers.begin(idempotent.producer, idempotent.seq, messageId, digest, now);
    batch.push(seq.op);
    const committed = this.persister.commit(batch);
    seq.settle(committed);
    return committed;
  }

  /**
   * The queues ack-publish outputs go to, those missing created on first use
   * (ops in `batch`) once every check passed: ERR_NOT_FOUND (a missing queue,
   * not created on first use) or ERR_LIMIT (one without room for its
   * outputs) leave everything as it was.
   */
  private outputQueues(outputs: readonly Output[], batch: StoreOp[]): Map<string, DurableQueue> {
    const counts = new Map<string, number>();
    for (const { queue } of outputs) if (queue !== undefined) counts.set(queue, (counts.get(queue) ?? 0) + 1);
    // In the order protocol 2.16 gives: a missing queue, then one without room.
    const missing = [...counts.keys()].find((name) => this.queues.get(name) === undefined);
    if (missing !== undefined && !this.settings.autoCreateQueues) throw missingQueue(missing);
    for (const [name, count] of counts) {
      const existing = this.queues.get(name);
      if (existing !== undefined && !existing.state.hasRoomFor(count)) {
        throw new OrdoError('ERR_LIMIT', `ack-publish: queue ${name} has no room for ${count} more (maxLength ${existing.state.settings.maxLength}, overflow reject-publish); nothing was acked or published`);
      }
    }
    // All or none: a queue made before a later one is refused would outlive the refused request.
    this.queues.assertRoomFor([...counts.keys()]);
    return new Map([...counts.keys()].map((name) => [name, this.queueForUse(name, batch)]));
  }

  /** Queue `name`, created now (ops in `batch`) when missing and allowed; else ERR_NOT_FOUND. */
  queueForUse(name: string, batch: StoreOp[]): DurableQueue {
    const queue = this.queues.get(name);
    if (queue !== undefined) return queue;
    if (!this.settings.autoCreateQueues) throw missingQueue(name);
    return this.queues.create(name, {}, batch);
  }

  /**
   * `consumer` leaves `queue`: its unacked deliveries come back; the queue of
   * a non-durable subscription goes with its last consumer. Resolves after the commit.
   */
  detach(queue: DurableQueue, consumer: Consumer): Promise<void> {
    const released = queue.removeConsumer(consumer, Date.now());
    if (!queue.binding?.transient || queue.consumerCount > 0 || this.queues.get(queue.name) !== queue) return released;
    const batch: StoreOp[] = [];
    this.queues.delete(queue.name, batch);
    return Promise.all([released, this.persister.commit(batch)]).then(() => undefined);
  }

  /** The retained messages matching `pattern`, oldest first. */
  retained(pattern: string): StoredMessage[] {
    return this.retainedIndex.matching(pattern);
  }

  /** Up to `limit` messages of `topic`'s history from a sequence number or time, oldest first. */
  replay(topic: string, from: { seq: number } | { time: number }, limit: number): Promise<StoredMessage[]> {
    return this.store.replay(topic, 'seq' in from ? { id: from.seq } : { time: from.time }, limit);
  }

  queueInfos(): QueueInfo[] {
    return this.queues.infos(Date.now());
  }

  /** True when `topic` holds a retained message. */
  hasRetained(topic: string): boolean {
    return this.retainedIndex.has(topic);
  }

  /** Clears the retained message of `topic` (resolves after the commit); false when it had none. */
  async clearRetained(topic: string): Promise<boolean> {
    if (!this.retainedIndex.has(topic)) return false;
    this.retainedIndex.clear(topic);
    await this.persister.commit([{ op: 'setRetained', topic, messageId: null }]);
    return true;
  }

  storeStats(): StoreStats {
    return this.persister.stats();
  }

  sampleRates(): void {
    this.queues.sampleRates();
  }

  /** Stops timers and deliveries; the store is closed by whoever opened it. */
  close(): void {
    clearInterval(this.compactTimer);
    this.queues.close();
  }

  private async compact(): Promise<void> {
    if (this.isCompacting) return;
    this.isCompacting = true;
    try {
      const now = Date.now();
      await this.persister.commit(this.producers.trim(now), false);
      await this.store.compact(this.settings.retention, now);
    } catch (err) {
      if (!(err instanceof OrdoError && err.code === 'ERR_SHUTTING_DOWN')) this.queues.reportError(err);
    } finally {
      this.isCompacting = false;
    }
  }
}

/** ERR_NOT_FOUND for a queue that does not exist, on a broker that does not create queues on first use. */
function missingQueue(name: string): OrdoError {
  return new OrdoError('ERR_NOT_FOUND', `no queue ${name} (this broker creates queues only on request: ordo queue create)`);
}

/**
 * An empty payload clears a retained message: nil, an empty string, empty
 * bytes, or nothing at all (the MessagePack encodings 0xc0, 0xa0, 0xc4 0x00).
 */
export function isEmptyPayload(payload: Uint8Array): boolean {
  if (payload.length === 0) return true;
  if (payload.length === 1) return payload[0] === 0xc0 || payload[0] === 0xa0;
  return payload.length === 2 && payload[0] === 0xc4 && payload[1] === 0x00;
}
