import type { Subscriber, Subscription } from '../delivery/index.js';
import type { DurableQueue } from './durable-queue.js';

/**
 * How the router holds an at-least-once subscription: one entry per queue
 * (however many consumers it has). An at-least-once publish that matches it
 * is stored in its queue; an at-most-once publish goes, at most once, to one
 * of the queue's consumers that keeps up (the weaker guarantee wins), and is
 * lost when none is connected.
 */
export class QueueSubscription implements Subscription, Subscriber {
  readonly subscriber = this;
  readonly subId = 0;
  readonly qos = 'at-least-once' as const;
  readonly group = undefined;
  readonly connectionId: string;

  constructor(readonly pattern: string, readonly queue: DurableQueue) {
    this.connectionId = `queue:${queue.name}`;
  }

  get canTakeMore(): boolean {
    return this.queue.consumerList.some((c) => c.target.canTakeMore);
  }

  deliver(_subId: number, tail: Uint8Array): boolean {
    const consumer = this.queue.consumerList.find((c) => c.target.canTakeMore) ?? this.queue.consumerList[0];
    return consumer !== undefined && consumer.target.deliver(consumer.subId, tail);
  }
}

export function isQueueSubscription(target: unknown): target is QueueSubscription {
  return target instanceof QueueSubscription;
}
