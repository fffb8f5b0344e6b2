import type { Message } from './message.js';
import type { SubscribeOptions } from './options.js';

/** A subscription's handler: resolving (or returning) acks; throwing nacks. */
export type MessageHandler<T = unknown> = (msg: Message<T>) => unknown;

/** What a Subscription needs of its client. */
export interface SubscriptionOwner {
  unsubscribeById(id: number): Promise<void>;
  reportError(err: unknown): void;
}

/**
 * One subscription. With a handler, messages are handed to it one at a time
 * in delivery order (an async handler is awaited before the next message);
 * without one, the subscription is an async iterable. Either way at most
 * `maxPending` messages wait in the client; past that, at-most-once
 * messages are dropped and counted in `dropped`.
 */
export class Subscription<T = unknown> implements AsyncIterable<Message<T>> {
  /** Messages dropped because the application did not keep up. */
  dropped = 0;
  /** Messages received so far. */
  received = 0;
  private readonly queue: Message<T>[] = [];
  private isBusy = false;
  private isClosed = false;
  private wake: (() => void) | undefined;
  private readonly maxPending: number;

  constructor(
    readonly id: number,
    readonly pattern: string,
    readonly options: SubscribeOptions,
    private readonly handler: MessageHandler<T> | undefined,
    private readonly owner: SubscriptionOwner,
  ) {
    this.maxPending = options.maxPending ?? 65_536;
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
    if (this.queue.length >= this.maxPending) {
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
    try {
      while (true) {
        const next = this.queue.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (this.isClosed) return;
        await new Promise<void>((resolve) => { this.wake = resolve; });
        this.wake = undefined;
      }
    } finally {
      if (!this.isClosed) this.unsubscribe().catch((err: unknown) => this.owner.reportError(err));
    }
  }

  private run(msg: Message<T>): void {
    let result: unknown;
    try {
      result = this.handler!(msg);
    } catch (err) {
      this.owner.reportError(err);
      return;
    }
    if (result instanceof Promise) {
      this.isBusy = true;
      result.then(() => this.drain(), (err) => {
        this.owner.reportError(err);
        this.drain();
      });
    }
  }

  private drain(): void {
    this.isBusy = false;
    while (!this.isBusy && this.queue.length > 0 && !this.isClosed) this.run(this.queue.shift()!);
  }
}
