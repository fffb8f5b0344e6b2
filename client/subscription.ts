import type { ExactlyOnce } from './exactly-once.js';
import type { Message, NackOutcome, Output } from './message.js';
import { FifoGiveBack } from './ordering/fifo-give-back.js';
import type { OrderedDelivery } from './ordering/ordered-delivery.js';
import type { SubscribeOptions } from './options.js';

/**
 * A subscription's handler: resolving (or returning) acks; throwing nacks (an
 * at-least-once delivery comes back). `tx`, for an exactly-once subscription
 * whose dedup store shares transactions (SqliteDedupStore): the open
 * transaction (a better-sqlite3 Database) in which the handler's writes
 * commit together with the delivery's dedup record.
 */
export type MessageHandler<T = unknown> = (msg: Message<T>, tx?: any) => unknown;

/** What a Subscription needs of its client. */
export interface SubscriptionOwner {
  unsubscribeById(id: number): Promise<void>;
  reportError(err: unknown): void;
}

/** What a subscription receives: a topic pattern's messages, or a queue's (consume). */
export type SubscriptionKind = 'topic' | 'queue';

/**
 * One subscription (or consumer of a queue). With a handler, messages are
 * handed to it one at a time in delivery order (an async handler is awaited
 * before the next message), and an at-least-once delivery is acked when the
 * handler returns or resolves, nacked when it throws — unless the handler
 * settled it itself. Without a handler, the subscription is an async
 * iterable, and a delivery not settled by the application is acked when the
 * next one is asked for or the loop ends. With `ack: 'manual'` neither
 * happens: the application calls ack() or nack(). At most `maxPending` at-most-once
 * messages wait in the client; past that they are dropped and counted in
 * `dropped` (at-least-once ones are bounded by the prefetch window instead).
 */
export class Subscription<T = unknown> implements AsyncIterable<Message<T>> {
  /** Messages dropped because the application did not keep up. */
  dropped = 0;
  /** Messages received so far. */
  received = 0;
  /** The highest seq received (0: none), so a replaying subscription renewed after a reconnect resumes after it. */
  lastSeq = 0;
  /** The broker queue behind a consumer or stored subscription (from its confirmation): exactly-once keys name it. */
  queueName = '';
  /**
   * Resolves once the broker first confirmed the subscription (queueName is
   * set). Deliveries that arrive in the confirmation's own frame are handled
   * before the confirmation's callbacks run: what needs the name waits for this.
   */
  readonly confirmed: Promise<void>;
  private resolveConfirmed!: () => void;
  /** @internal Set for an exactly-once subscription (with a handler). */
  exactlyOnce: ExactlyOnce<T> | undefined;
  /** @internal Set for a causal or total subscription: its ordered messages wait there for their turn. */
  ordering: OrderedDelivery | undefined;
  /** A fifo subscription's redeliveries, not overtaken [semantics 2.1]. */
  private readonly giveBack = new FifoGiveBack();
  private queue: Message<T>[] = [];
  private isBusy = false;
  /** @internal SUBSCRIBE or CONSUME operations sent for this subscription: more than one after a reconnect. */
  requests = 0;
  /** Set by stop(): messages wait unhandled until the unsubscribe gives them back. */
  private isStopping = false;
  /** Set by stop() while the handler runs: called once it is done. */
  private onIdle: (() => void) | undefined;
  private isClosed = false;
  private wake: (() => void) | undefined;
  private readonly maxPending: number;
  /** True when the application settles deliveries itself (option `ack: 'manual'`). */
  private readonly isManual: boolean;

  constructor(
    readonly id: number,
    readonly pattern: string,
    readonly options: SubscribeOptions,
    readonly handler: MessageHandler<T> | undefined,
    private readonly owner: SubscriptionOwner,
    /** For a queue, `pattern` is the queue's name. */
    readonly kind: SubscriptionKind = 'topic',
  ) {
    this.confirmed = new Promise((resolve) => { this.resolveConfirmed = resolve; });
    this.maxPending = options.maxPending ?? 65_536;
    this.isManual = options.ack === 'manual';
  }

  /** @internal The broker confirmed the subscription (again, after a reconnect) with its queue's name. */
  confirm(queueName: string): void {
    this.queueName = queueName;
    this.resolveConfirmed();
  }

  /** Stops deliveries; an iterator ends after the messages already received. */
  async unsubscribe(): Promise<void> {
    if (this.isClosed) return;
    this.end();
    await this.owner.unsubscribeById(this.id);
  }

  /** @internal Called by the client for each delivery. */
  push(msg: Message<T>): void {
    if (this.isClosed) return;
    this.received++;
    if (msg.seq > this.lastSeq) this.lastSeq = msg.seq;
    if (this.exactlyOnce !== undefined) {
      // A retained message comes with every subscription the broker sees begin: after a reconnect, a
      // non-durable one begins again. Its first copy was this subscription's; later ones would run the handler again.
      if (msg.retained && this.requests > 1) return;
      // The broker learns at once that the client has it (MQTT's PUBREC), so no
      // ack deadline runs out while it waits here behind a slow handler.
      msg.received();
    }
    if (this.ordering !== undefined) {
      this.ordering.arrive(this, msg);
      return;
    }
    const givenBack = this.giveBack.maybeGiveBack(msg);
    if (givenBack !== undefined) this.settle(givenBack);
    else this.enqueue(msg);
  }

  /** @internal A message whose turn it is: to the handler, or queued for it (or for the iterator). */
  enqueue(msg: Message<T>): void {
    if (this.isClosed) {
      this.finished(msg);
      return;
    }
    if (this.queue.length >= this.maxPending && !msg.needsSettling) {
      this.dropped++;
      this.finished(msg);
      return;
    }
    if (this.handler === undefined) {
      this.queue.push(msg);
      this.wake?.();
      return;
    }
    if (this.isBusy || this.isStopping) this.queue.push(msg);
    else this.run(msg);
  }

  /** @internal Ends the subscription locally (unsubscribe, client closed). */
  end(): void {
    this.isClosed = true;
    this.ordering?.forget(this);
    this.wake?.();
  }

  /**
   * Acks `msg` (a delivery of this subscription) and stores `outputs` in
   * one commit of the broker: both happen or neither (see Message.ackAndPublish).
   */
  ackAndPublish(msg: Message<T>, outputs: readonly Output[]): Promise<number[]> {
    return msg.ackAndPublish(outputs);
  }

  /**
   * @internal The options to (re)send the subscription with: a replaying one
   * renewed after a reconnect resumes after the last message it received,
   * rather than replaying its history again.
   */
  renewalOptions(): SubscribeOptions {
    return this.options.from !== undefined && this.lastSeq > 0 ? { ...this.options, from: { seq: this.lastSeq + 1 } } : this.options;
  }

  /** Iterating ends after unsubscribe(); leaving the loop early (break, throw) unsubscribes. */
  async *[Symbol.asyncIterator](): AsyncIterator<Message<T>> {
    let current: Message<T> | undefined;
    try {
      while (true) {
        const next = this.queue.shift();
        if (next !== undefined) {
          current = next;
          yield next;
          if (current.needsSettling && !this.isManual) this.settle(current.ack());
          this.finished(current);
          current = undefined;
          continue;
        }
        if (this.isClosed) return;
        await new Promise<void>((resolve) => { this.wake = resolve; });
        this.wake = undefined;
      }
    } finally {
      if (current?.needsSettling && !this.isManual) this.settle(current.ack());
      if (current !== undefined) this.finished(current);
      if (!this.isClosed) this.unsubscribe().catch((err: unknown) => this.owner.reportError(err));
    }
  }

  private run(msg: Message<T>): void {
    // A retained message comes once, unstored and without an ack: no dedup record, no complete.
    if (this.exactlyOnce !== undefined && msg.needsSettling) {
      this.isBusy = true;
      void this.exactlyOnce.run(msg, this.handler!).then(({ nacked, abandoned }) => {
        if (abandoned) this.ordering?.abandoned(msg);
        else if (nacked === undefined) this.finished(msg);
        else this.comeAgain(msg, nacked);
        this.drain();
      });
      return;
    }
    let result: unknown;
    try {
      result = this.handler!(msg);
    } catch (err) {
      this.failed(msg, err);
      return;
    }
    if (result instanceof Promise) {
      this.isBusy = true;
      result.then(() => {
        if (msg.needsSettling && !this.isManual) this.settle(msg.ack());
        this.finished(msg);
        this.drain();
      }, (err) => {
        this.failed(msg, err);
        this.drain();
      });
    } else {
      if (msg.needsSettling && !this.isManual) this.settle(msg.ack());
      this.finished(msg);
    }
  }

  /** The handler threw: an at-least-once delivery is nacked, and comes again before anything after it runs. */
  private failed(msg: Message<T>, err: unknown): void {
    this.owner.reportError(err);
    if (!msg.needsSettling || this.isManual) {
      this.finished(msg);
      return;
    }
    const nacked = msg.nack();
    this.settle(nacked);
    this.comeAgain(msg, nacked);
  }

  /**
   * `msg` was nacked and comes again. An ordered subscription's hold-back
   * keeps what depends on it waiting; a fifo one gives back what is queued
   * behind it, and what arrives before it comes again.
   */
  private comeAgain(msg: Message<T>, nacked: Promise<NackOutcome>): void {
    if (this.ordering !== undefined) {
      this.finished(msg, nacked);
      return;
    }
    this.queue = this.giveBack.afterNack(msg, nacked, this.queue, (done) => this.settle(done));
  }

  /** The application is done with `msg` (handled, failed, or dropped): ordered deliveries waiting for it may go. */
  private finished(msg: Message<T>, nacked?: Promise<NackOutcome>): void {
    this.ordering?.handled(this, msg, nacked);
  }

  /**
   * An ack or nack the application does not wait for: its failure is
   * reported, not thrown — except a lost connection, after which the broker
   * delivers the message again anyway.
   */
  private settle(done: Promise<unknown>): void {
    done.catch((err: unknown) => {
      if ((err as { code?: string }).code !== 'ERR_DISCONNECTED') this.owner.reportError(err);
    });
  }

  /**
   * Stops handing messages to the handler, waits for the one it is running
   * (its settle queued, so it cannot be overtaken), then unsubscribes: the
   * deliveries it did not handle go back to their queue, their count unchanged.
   */
  async stop(): Promise<void> {
    this.isStopping = true;
    if (this.isBusy) await new Promise<void>((resolve) => { this.onIdle = resolve; });
    await this.unsubscribe();
  }

  private drain(): void {
    this.isBusy = false;
    while (!this.isBusy && this.queue.length > 0 && !this.isClosed && !this.isStopping) this.run(this.queue.shift()!);
    if (!this.isBusy) this.onIdle?.();
  }
}
