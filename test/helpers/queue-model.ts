/**
 * A naive model of one queue for the QueueState property test
 * (test/unit/queue-state.test.ts): two arrays scanned linearly, the rules of
 * broker/queues/index.ts written as plainly as they read. It keeps no ops;
 * the test checks those against a model of the store instead.
 */
import type { ResolvedQueueSettings } from '../../broker/queues/index.js';

export interface ModelEntry {
  readonly id: number;
  readonly priority: number;
  availableAt: number;
  readonly expiresAt: number | null;
  deliveries: number;
  consumer: string | null;
  deadline: number;
}

export interface ModelReturn {
  readonly id: number;
  readonly consumer: string;
  readonly outcome: 'requeued' | 'dead-lettered';
}

/** Highest priority first, then lowest id. */
const deliveryOrder = (a: ModelEntry, b: ModelEntry): number => b.priority - a.priority || a.id - b.id;

export class QueueModel {
  /** Ready and delayed entries, in no order. */
  waiting: ModelEntry[] = [];
  /** In-flight entries, in delivery order. */
  inFlight: ModelEntry[] = [];
  clock = -Infinity;

  constructor(readonly s: ResolvedQueueSettings) {}

  enqueue(id: number, priority: number, availableAt: number | undefined, ownExpiry: number | null, now: number) {
    this.tick(now);
    const ttl = this.s.messageTtlMs;
    const expiresAt = ttl === null ? ownExpiry : Math.min(ownExpiry ?? Infinity, this.clock + ttl);
    let expired: number[] = [];
    const dropped: number[] = [];
    if (this.waiting.length >= this.s.maxLength) {
      expired = this.expireWaiting();
      if (this.waiting.length >= this.s.maxLength && this.s.overflow === 'reject-publish') {
        return { accepted: false, dropped, expired };
      }
      while (this.waiting.length >= this.s.maxLength) {
        const oldest = this.waiting.reduce((a, b) => (b.id < a.id ? b : a));
        this.remove(this.waiting, oldest);
        dropped.push(oldest.id);
      }
    }
    this.waiting.push({
      id, priority, availableAt: availableAt ?? this.clock, expiresAt, deliveries: 0, consumer: null, deadline: 0,
    });
    return { accepted: true, dropped, expired };
  }

  deliver(consumer: string, now: number) {
    this.tick(now);
    const expired: number[] = [];
    const deadLettered: number[] = [];
    for (;;) {
      const ready = this.waiting.filter((e) => e.availableAt <= this.clock).sort(deliveryOrder);
      const head = ready[0];
      if (head === undefined) return { delivery: undefined, expired, deadLettered };
      this.remove(this.waiting, head);
      if (head.expiresAt !== null && head.expiresAt <= this.clock) {
        expired.push(head.id);
      } else if (head.deliveries >= this.s.maxDeliveries) {
        deadLettered.push(head.id);
      } else {
        head.deliveries += 1;
        head.consumer = consumer;
        head.deadline = this.clock + this.s.ackDeadlineMs;
        this.inFlight.push(head);
        const delivery = {
          messageId: head.id, priority: head.priority, deliveries: head.deliveries, redelivered: head.deliveries > 1,
          deadline: head.deadline, expiresAt: head.expiresAt,
        };
        return { delivery, expired, deadLettered };
      }
    }
  }

  ack(id: number, consumer: string): boolean {
    const entry = this.held(id, consumer);
    if (entry !== undefined) this.remove(this.inFlight, entry);
    return entry !== undefined;
  }

  nack(id: number, consumer: string, requeue: boolean, delayMs: number, now: number) {
    const entry = this.held(id, consumer);
    if (entry === undefined) return 'ERR_NOT_FOUND' as const;
    this.tick(now);
    this.remove(this.inFlight, entry);
    if (!requeue || entry.deliveries >= this.s.maxDeliveries) return 'dead-lettered' as const;
    if (delayMs > 0) entry.availableAt = this.clock + delayMs;
    entry.consumer = null;
    this.waiting.push(entry);
    return 'requeued' as const;
  }

  extend(id: number, consumer: string, ms: number, now: number): number | 'ERR_NOT_FOUND' {
    const entry = this.held(id, consumer);
    if (entry === undefined) return 'ERR_NOT_FOUND';
    this.tick(now);
    entry.deadline = this.clock + ms;
    return entry.deadline;
  }

  /** Deadlines passed (soonest first), then waiting entries past their TTL (soonest first). */
  advance(now: number): { returned: ModelReturn[]; expired: number[] } {
    this.tick(now);
    const due = this.inFlight.filter((e) => e.deadline <= this.clock).sort((a, b) => a.deadline - b.deadline || a.id - b.id);
    const returned = due.map((entry) => this.giveBack(entry));
    return { returned, expired: this.expireWaiting() };
  }

  release(consumer: string, now: number): ModelReturn[] {
    this.tick(now);
    return this.inFlight.filter((e) => e.consumer === consumer).map((entry) => this.giveBack(entry));
  }

  purge(): number[] {
    const ids = this.waiting.map((e) => e.id).sort((a, b) => a - b);
    this.waiting = [];
    return ids;
  }

  /** Ids in the order they would be delivered from now on, leaving out what never will be. */
  peek(n: number, now: number): number[] {
    this.tick(now);
    const isDeliverableAt = (e: ModelEntry, when: number): boolean =>
      !(e.expiresAt !== null && e.expiresAt <= when) && e.deliveries < this.s.maxDeliveries;
    const ready = this.waiting.filter((e) => e.availableAt <= this.clock && isDeliverableAt(e, this.clock)).sort(deliveryOrder);
    const delayed = this.waiting.filter((e) => e.availableAt > this.clock && isDeliverableAt(e, e.availableAt))
      .sort((a, b) => a.availableAt - b.availableAt || deliveryOrder(a, b));
    return [...ready, ...delayed].slice(0, Math.max(0, n)).map((e) => e.id);
  }

  counts(now: number) {
    this.tick(now);
    const ready = this.waiting.filter((e) => e.availableAt <= this.clock).length;
    const delayed = this.waiting.length - ready;
    return { ready, delayed, inFlight: this.inFlight.length, total: this.waiting.length + this.inFlight.length };
  }

  nextWakeAt(): number | undefined {
    const times = [
      ...this.waiting.filter((e) => e.availableAt > this.clock).map((e) => e.availableAt),
      ...this.waiting.flatMap((e) => (e.expiresAt === null ? [] : [e.expiresAt])),
      ...this.inFlight.map((e) => e.deadline),
    ];
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /** A broker restart: everything in flight waits again, with its delivery count. */
  restart(now: number): void {
    for (const entry of this.inFlight) entry.consumer = null;
    this.waiting.push(...this.inFlight);
    this.inFlight = [];
    this.tick(now);
  }

  private tick(now: number): void {
    this.clock = Math.max(this.clock, now);
  }

  private held(id: number, consumer: string): ModelEntry | undefined {
    return this.inFlight.find((e) => e.id === id && e.consumer === consumer);
  }

  private giveBack(entry: ModelEntry): ModelReturn {
    const consumer = entry.consumer!;
    this.remove(this.inFlight, entry);
    entry.consumer = null;
    if (entry.deliveries >= this.s.maxDeliveries) return { id: entry.id, consumer, outcome: 'dead-lettered' };
    this.waiting.push(entry);
    return { id: entry.id, consumer, outcome: 'requeued' };
  }

  private expireWaiting(): number[] {
    const gone = this.waiting.filter((e) => e.expiresAt !== null && e.expiresAt <= this.clock)
      .sort((a, b) => a.expiresAt! - b.expiresAt! || a.id - b.id);
    for (const entry of gone) this.remove(this.waiting, entry);
    return gone.map((e) => e.id);
  }

  private remove(list: ModelEntry[], entry: ModelEntry): void {
    list.splice(list.indexOf(entry), 1);
  }
}
