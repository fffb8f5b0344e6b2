import type { DeliveryTag, QueueInfo } from '../protocol/index.js';
import type { QueueSettings, QueueState, ReturnedEntry } from '../queues/index.js';
import { RateMeter } from '../rate-meter.js';
import type { EntryRecord, StoredMessage, StoreOp } from '../store/index.js';
import type { Consumer } from './consumer.js';
import type { QueueCounters } from '../observability/counters.js';

/**
 * Delivery counts, returns and dead letters are written without an fsync of
 * their own: they survive a crash of the broker, and reach the disk with the
 * next fsynced commit. A power cut in between may lose a delivery count (one
 * more delivery than maxDeliveries) — never a confirmed message.
 */
const NO_FSYNC = false;

/** How soon a queue looks again when a consumer's connection was too full to take a delivery, ms. */
const BLOCKED_RETRY_MS = 10;

/** What a queue needs of the broker around it. */
export interface QueueHost {
  /** Commits a batch (group commit); resolves once durable, or with `sync` false once written (see Persister). */
  commit(ops: readonly StoreOp[], sync?: boolean): Promise<void>;
  /** The stored messages with these ids (see MessageCache.getMany). */
  messages(ids: readonly number[]): Map<number, StoredMessage> | Promise<Map<number, StoredMessage>>;
  /** About how many bytes delivering message `id` will queue (exact when cached). */
  sizeOf(id: number): number;
  /** Hands dead letters of `from` to its dead-letter queue, adding the ops to `batch` (creating that queue first if it is gone). */
  deadLetter(from: DurableQueue, entries: readonly EntryRecord[], now: number, batch: StoreOp[]): void;
  /** A failure no request can be told of (a commit that failed under a delivery). */
  reportError(err: unknown): void;
  /** Broker-wide counts of deliveries, acks, nacks, dead letters and drops, for /metrics. */
  readonly counters: QueueCounters;
}

/** What binds a subscription's queue to its topics. */
export interface Binding {
  readonly pattern: string;
  /** Deleted with its last consumer (and at the next start): a non-durable subscription's queue. */
  readonly transient: boolean;
}

/**
 * One durable queue at run time: its pure QueueState, its consumers, the
 * timer of its next deadline, delay or expiry, and its counters. Every change
 * goes through the same steps: change the state, add its ops to a batch,
 * commit, and only then send what the change produced (persist first,
 * queues/index.ts). Deliveries are made once per operation batch
 * (schedulePump), and the store groups every batch of a turn into one commit.
 */
export class DurableQueue {
  private readonly consumers = new Map<string, Consumer>();
  private rotation: Consumer[] = [];
  private cursor = 0;
  private isPumpScheduled = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private isDeleted = false;
  messagesIn = 0;
  messagesOut = 0;
  acked = 0;
  readonly rateIn = new RateMeter();
  readonly rateOut = new RateMeter();

  constructor(
    readonly name: string,
    readonly state: QueueState,
    /** The settings as given at creation (what is stored and shown). */
    readonly given: QueueSettings,
    /** The topics it subscribes to, for a subscription's queue (a durable one may be renewed with another pattern). */
    public binding: Binding | undefined,
    private readonly host: QueueHost,
  ) {}

  get consumerCount(): number {
    return this.consumers.size;
  }

  /** The consumers, for at-most-once pass-through deliveries. */
  get consumerList(): readonly Consumer[] {
    return this.rotation;
  }

  addConsumer(consumer: Consumer): void {
    this.consumers.set(consumer.id, consumer);
    this.rotation = [...this.consumers.values()];
    this.schedulePump();
  }

  /** The consumer leaves: its unacked deliveries come back (requeued, or dead-lettered at their limit). */
  removeConsumer(consumer: Consumer, now: number): Promise<void> {
    if (!this.consumers.delete(consumer.id)) return Promise.resolve();
    this.rotation = [...this.consumers.values()];
    const batch: StoreOp[] = [];
    const { ops, returned } = this.state.releaseConsumer(consumer.id, now);
    batch.push(...ops);
    consumer.unacked = 0;
    this.afterReturns(returned, now, batch);
    const done = this.host.commit(batch, NO_FSYNC);
    this.schedulePump();
    return done;
  }

  /** Adds a message stored in the same batch (its putMessage before these ops). False when refused: the queue is full and rejects. */
  enqueue(message: StoredMessage, priority: number, availableAt: number | undefined, expiresAt: number | null, now: number, batch: StoreOp[]): boolean {
    const result = this.state.enqueue({ messageId: message.id, priority, availableAt, expiresAt }, now);
    batch.push(...result.ops);
    this.host.counters.overflowDrops += result.droppedMessageIds.length;
    if (!result.accepted) return false;
    this.messagesIn++;
    this.schedulePump();
    return true;
  }

  /** Takes a dead letter another queue moved here in `batch`. */
  acceptDeadLetter(entry: EntryRecord, now: number, batch: StoreOp[]): void {
    const result = this.state.acceptDeadLetter(entry, now);
    batch.push(...result.ops);
    this.host.counters.overflowDrops += result.droppedMessageIds.length;
    this.messagesIn++;
    this.schedulePump();
  }

  /** Acks deliveries of `consumer`; returns the tags it does not hold. */
  ack(consumer: Consumer, tags: readonly DeliveryTag[], batch: StoreOp[]): DeliveryTag[] {
    const unknown: DeliveryTag[] = [];
    for (const tag of tags) {
      const id = this.heldId(tag);
      const ops = id === undefined ? 'ERR_NOT_FOUND' : this.state.ack(id, consumer.id);
      if (ops === 'ERR_NOT_FOUND') {
        unknown.push(tag);
        continue;
      }
      batch.push(...ops);
      consumer.unacked--;
      this.acked++;
      this.host.counters.acks++;
    }
    this.schedulePump();
    return unknown;
  }

  /** Exactly-once: `consumer` has these deliveries; they keep no deadline until settled or released. Returns the tags it does not hold. */
  received(consumer: Consumer, tags: readonly DeliveryTag[]): DeliveryTag[] {
    const unknown = tags.filter((tag) => {
      const id = this.heldId(tag);
      return id === undefined || !this.state.holdUntilReleased(id, consumer.id);
    });
    this.arm();
    return unknown;
  }

  /** The tags `consumer` does not hold (nothing changes). */
  notHeld(consumer: Consumer, tags: readonly DeliveryTag[]): DeliveryTag[] {
    return tags.filter((tag) => {
      const id = this.heldId(tag);
      return id === undefined || !this.state.holds(id, consumer.id);
    });
  }

  /**
   * Gives deliveries back: requeued (after `delayMs`) or dead-lettered (their
   * tags added to `deadLettered`); returns the tags `consumer` does not hold.
   */
  nack(
    consumer: Consumer, tags: readonly DeliveryTag[], options: { requeue: boolean; delayMs: number; release: boolean },
    now: number, batch: StoreOp[], deadLettered: DeliveryTag[] = [],
  ): DeliveryTag[] {
    const unknown: DeliveryTag[] = [];
    const dead: EntryRecord[] = [];
    for (const tag of tags) {
      const id = this.heldId(tag);
      const result = id === undefined ? 'ERR_NOT_FOUND' : this.state.nack(id, consumer.id, options, now);
      if (typeof result === 'string') {
        unknown.push(tag);
        continue;
      }
      batch.push(...result.ops);
      consumer.unacked--;
      this.host.counters.nacks++;
      if (result.outcome === 'dead-lettered') {
        dead.push(result.entry);
        deadLettered.push(tag);
      }
    }
    if (dead.length > 0) this.handOnDeadLetters(dead, now, batch);
    this.schedulePump();
    return unknown;
  }

  /** Moves the deadlines of deliveries of `consumer` to now + ms; returns the tags it does not hold. */
  extend(consumer: Consumer, tags: readonly DeliveryTag[], ms: number, now: number): DeliveryTag[] {
    const unknown = tags.filter((tag) => {
      const id = this.heldId(tag);
      return id === undefined || typeof this.state.extendDeadline(id, consumer.id, ms, now) === 'string';
    });
    this.arm();
    return unknown;
  }

  /**
   * The message a tag names, if the tag can still be current: a bare seq
   * names the message's current delivery; [seq, deliveries] names that
   * delivery only, so a late settle of an earlier delivery does not settle
   * the redelivery the same consumer may hold now.
   */
  private heldId(tag: DeliveryTag): number | undefined {
    if (typeof tag === 'number') return tag;
    return this.state.deliveriesOf(tag[0]) === tag[1] ? tag[0] : undefined;
  }

  /** Removes the waiting messages (all, or the oldest `max`); in-flight ones stay until settled. */
  purge(batch: StoreOp[], max?: number): number {
    const { ops, purgedMessageIds } = this.state.purge(max);
    batch.push(...ops);
    this.flushOrdered(this.rotation);
    return purgedMessageIds.length;
  }

  /**
   * Moves up to `max` ready messages to `target`, in delivery order, as
   * dead letters move (QueueState.takeReady); ops added to `batch`. Returns how many moved.
   */
  moveReady(target: DurableQueue, max: number, now: number, batch: StoreOp[]): number {
    const { ops, taken } = this.state.takeReady(max, target.name, now);
    batch.push(...ops);
    for (const entry of taken) target.acceptDeadLetter(entry, now, batch);
    this.flushOrdered(this.rotation);
    return taken.length;
  }

  /** Stops the timer and every future delivery (the queue was deleted). */
  close(): void {
    this.isDeleted = true;
    clearTimeout(this.timer);
    clearTimeout(this.retryTimer);
    // Nothing more comes from here: clients holding back for its messages must not wait for them.
    this.flushOrdered(this.rotation);
    this.consumers.clear();
    this.rotation = [];
  }

  info(now: number): QueueInfo {
    const counts = this.state.counts(now);
    return {
      name: this.name,
      ready: counts.ready,
      delayed: counts.delayed,
      unacked: counts.inFlight,
      total: counts.total,
      consumers: this.consumers.size,
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      acked: this.acked,
      rateIn: this.rateIn.perSecond(),
      rateOut: this.rateOut.perSecond(),
      settings: { ...this.given },
      ...(this.binding ? { pattern: this.binding.pattern } : {}),
      oldestAgeMs: this.state.oldestAgeMs(now),
      ...(this.state.settings.deadLetterQueue !== null && { deadLetterQueue: this.state.settings.deadLetterQueue }),
      // The registry fills in the dead-letter queue's size and, for a dead-letter queue, whom it collects for.
      deadLetters: 0,
    };
  }

  sampleRates(): void {
    this.rateIn.sample(this.messagesIn);
    this.rateOut.sample(this.messagesOut);
  }

  /**
   * Asks for a pump once the current operation (or frame) is done: a
   * microtask, so the delivery counts join the store's commit group of this
   * turn — a message sent and delivered in one turn costs one transaction.
   */
  schedulePump(): void {
    if (this.isPumpScheduled || this.isDeleted) return;
    this.isPumpScheduled = true;
    queueMicrotask(() => {
      this.isPumpScheduled = false;
      if (!this.isDeleted) this.pump(Date.now());
    });
  }

  /**
   * Hands ready messages to consumers with credit (round robin), commits the
   * delivery counts, then sends them; re-arms the timer.
   */
  private pump(now: number): void {
    const batch: StoreOp[] = [];
    const sends: { consumer: Consumer; messageId: number; deliveries: number; bytes: number }[] = [];
    for (let consumer = this.nextConsumer(); consumer !== undefined; consumer = this.nextConsumer()) {
      const result = this.state.deliver(consumer.id, now, consumer.isOrdered);
      batch.push(...result.ops);
      if (result.deadLettered.length > 0) this.handOnDeadLetters(result.deadLettered, now, batch);
      const delivery = result.delivery;
      if (delivery === undefined) break;
      // An auto-ack delivery holds credit until it is sent, so one pump hands out at most `prefetch` of them.
      consumer.unacked++;
      this.countDelivery(consumer, delivery.deliveries);
      if (consumer.isAutoAck) {
        batch.push(...(this.state.ack(delivery.messageId, consumer.id) as StoreOp[]));
        this.acked++;
      }
      // Reserved now, so this pump stops at the connection's outbound limit, not at prefetch × payload.
      const bytes = this.host.sizeOf(delivery.messageId);
      consumer.target.reservedBytes += bytes;
      if (consumer.isOrdered) consumer.target.pendingWatch.willSend(delivery.messageId);
      sends.push({ consumer, messageId: delivery.messageId, deliveries: consumer.isAutoAck ? 0 : delivery.deliveries, bytes });
    }
    this.messagesOut += sends.length;
    this.arm();
    this.retryWhenBlocked(now);
    // The waiting head may have gone (delivered, expired, dead-lettered, taken by a competing consumer).
    this.flushOrdered(this.rotation);
    if (batch.length === 0) return;
    // Read before the commit: an auto-ack consumer's batch deletes what it delivers (a queue's message goes with its entry).
    const messages = sends.length === 0 ? undefined : this.host.messages(sends.map((s) => s.messageId));
    const committed = this.host.commit(batch, NO_FSYNC);
    if (messages === undefined) {
      committed.catch((err: unknown) => this.host.reportError(err));
      return;
    }
    const release = (): void => {
      for (const s of sends) {
        s.consumer.target.reservedBytes -= s.bytes;
        if (s.consumer.isOrdered) s.consumer.target.pendingWatch.sent(s.messageId);
      }
    };
    Promise.all([committed, messages]).then(([, found]) => {
      let freed = false;
      for (const { consumer, messageId, deliveries } of sends) {
        const message = found.get(messageId);
        const isAttached = this.consumers.get(consumer.id) === consumer;
        // A message gone from the store (compacted under a queue that held it) cannot be sent; its deadline brings it back.
        if (message !== undefined && isAttached) consumer.target.sendDelivery(consumer.subId, message, deliveries, 0);
        if (consumer.isAutoAck && isAttached) {
          consumer.unacked--;
          freed = true;
        }
      }
      // After the deliveries: what waited behind them at the client may go now.
      release();
      this.flushOrdered(sends.map((s) => s.consumer));
      if (freed) this.schedulePump();
    }, (err: unknown) => {
      release();
      this.flushOrdered(sends.map((s) => s.consumer));
      this.host.reportError(err);
    });
  }

  /** Lets the connections of these ordered consumers know what they have not been sent, if it changed [protocol 2.17]. */
  private flushOrdered(consumers: readonly Consumer[]): void {
    for (const consumer of consumers) if (consumer.isOrdered) consumer.target.flushPending();
  }

  /** The lowest message id waiting here (PendingWatch's source); none once the queue is deleted. */
  lowestWaitingId(): number | undefined {
    return this.isDeleted ? undefined : this.state.lowestWaitingId();
  }

  /**
   * Ready messages wait while a consumer's connection is above its outbound
   * limit; nothing else would wake the queue when it drains, so look again soon.
   */
  private retryWhenBlocked(now: number): void {
    if (this.retryTimer !== undefined || this.state.counts(now).ready === 0) return;
    if (!this.rotation.some((c) => !c.target.canTakeMore)) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.schedulePump();
    }, BLOCKED_RETRY_MS);
    this.retryTimer.unref();
  }

  private nextConsumer(): Consumer | undefined {
    const n = this.rotation.length;
    for (let i = 0; i < n; i++) {
      const consumer = this.rotation[(this.cursor + i) % n];
      if (consumer.hasCredit) {
        this.cursor = (this.cursor + i + 1) % n;
        return consumer;
      }
    }
    return undefined;
  }

  /** Sets the timer for the state's next deadline, delay or expiry. */
  private arm(): void {
    const at = this.state.nextWakeAt();
    if (at === undefined || at >= this.timerAt || this.isDeleted) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.wake(), Math.max(0, at - Date.now()) + 1);
    this.timer.unref();
  }

  private wake(): void {
    this.timerAt = Infinity;
    if (this.isDeleted) return;
    const now = Date.now();
    const batch: StoreOp[] = [];
    const { ops, returned } = this.state.advance(now);
    batch.push(...ops);
    this.afterReturns(returned, now, batch);
    this.host.commit(batch, NO_FSYNC).catch((err: unknown) => this.host.reportError(err));
    this.pump(now);
  }

  /** Frees the credit of returned deliveries and hands their dead letters on. */
  private afterReturns(returned: readonly ReturnedEntry[], now: number, batch: StoreOp[]): void {
    const dead: EntryRecord[] = [];
    for (const r of returned) {
      const consumer = this.consumers.get(r.consumerId);
      if (consumer !== undefined) consumer.unacked--;
      if (r.outcome === 'dead-lettered') dead.push(r.entry);
    }
    if (dead.length > 0) this.handOnDeadLetters(dead, now, batch);
  }

  /** Counts dead letters of this queue and hands them to its dead-letter queue (QueueHost.deadLetter). */
  private handOnDeadLetters(dead: readonly EntryRecord[], now: number, batch: StoreOp[]): void {
    this.host.counters.deadLetters += dead.length;
    this.host.deadLetter(this, dead, now, batch);
  }

  /** Counts one delivery handed out, by its consumer's guarantee (QueueCounters). */
  private countDelivery(consumer: Consumer, deliveries: number): void {
    const counters = this.host.counters;
    counters.deliveries++;
    if (deliveries > 1) counters.redeliveries++;
    if (consumer.isAutoAck) return;
    if (consumer.isExactlyOnce) counters.exactlyOnce++;
    else counters.atLeastOnce++;
  }
}
