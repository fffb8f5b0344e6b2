import type { Message } from './message.js';
import type { SubscribeOptions } from './options.js';

/** A subscription's handler: resolving (or returning) acks; throwing nacks (an at-least-once delivery comes back). */
export type MessageHandler<T = unknown> = (msg: Message<T>) => unknown;

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
  private readonly queue: Message<T>[] = [];
  private isBusy = false;
  private isClosed = false;
  private wake: (() => void) | undefined;
  private readonly maxPending: number;
  /** True when the application settles deliveries itself (option `ack: 'manual'`). */
  private readonly isManual: boolean;

  constructor(
    readonly id: number,
    readonly pattern: string,
    readonly options: SubscribeOptions,
    private readonly handler: MessageHandler<T> | undefined,
    private readonly owner: SubscriptionOwner,
    /** For a queue, `pattern` is the queue's name. */
    readonly kind: SubscriptionKind = 'topic',
  ) {
    this.maxPending = options.maxPending ?? 65_536;
    this.isManual = options.ack === 'manual';
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
    if (this.queue.length >= this.maxPending && !msg.needsSettling) {
      this.dropped++;
      return;
    }
    if (this.handler === undefined) {
      this.queue.push(msg);
      this.wake?.();
      return;
    }
    if (this.isBusy) this.queue.push(msg);
    else this.run(msg);
  }

  /** @internal Ends the subscription locally (unsubscribe, client closed). */
  end(): void {
    this.isClosed = true;
    this.wake?.();
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
          current = undefined;
          continue;
        }
        if (this.isClosed) return;
        await new Promise<void>((resolve) => { this.wake = resolve; });
        this.wake = undefined;
      }
    } finally {
      if (current?.needsSettling && !this.isManual) this.settle(current.ack());
      if (!this.isClosed) this.unsubscribe().catch((err: unknown) => this.owner.reportError(err));
    }
  }

  private run(msg: Message<T>): void {
    let result: unknown;
    try {
      result = this.handler!(msg);
    } catch (err) {
      this.owner.reportError(err);
      if (msg.needsSettling && !this.isManual) this.settle(msg.nack());
      return;
    }
    if (result instanceof Promise) {
      this.isBusy = true;
      result.then(() => {
        if (msg.needsSettling && !this.isManual) this.settle(msg.ack());
        this.drain();
      }, (err) => {
        this.owner.reportError(err);
        if (msg.needsSettling && !this.isManual) this.settle(msg.nack());
        this.drain();
      });
    } else {
      if (msg.needsSettling && !this.isManual) this.settle(msg.ack());
    }
  }

  /**
   * An ack or nack the application does not wait for: its failure is
   * reported, not thrown — except a lost connection, after which the broker
   * delivers the message again anyway.
   */
  private settle(done: Promise<void>): void {
    done.catch((err: unknown) => {
      if ((err as { code?: string }).code !== 'ERR_DISCONNECTED') this.owner.reportError(err);
    });
  }

  private drain(): void {
    this.isBusy = false;
    while (!this.isBusy && this.queue.length > 0 && !this.isClosed) this.run(this.queue.shift()!);
  }
}
