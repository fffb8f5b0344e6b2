import { OrdoError } from '../errors/index.js';
import type { EntryRecord, StoreOp } from '../store/index.js';
import { InFlight } from './in-flight.js';
import {
  checkEntryFields, isDuration, isExpired, newEntry, toDelivery, toRecord, type Entry,
} from './queue-entry.js';
import type {
  AcceptResult, AdvanceResult, DeliverResult, EnqueueResult, ExtendResult, NackResult, NewEntry,
  PurgeResult, QueueCounts, QueueRefusal, ReturnOutcome, ReturnResult, ReturnedEntry, TakeResult,
} from './queue-results.js';
import {
  MAX_ACK_DEADLINE_MS, MAX_DURATION_MS, resolveQueueSettings, type QueueSettings, type ResolvedQueueSettings,
} from './queue-settings.js';
import { WaitingSet } from './waiting-set.js';

const NONE: readonly never[] = Object.freeze([]);

/** What making room did: entries expired and dropped, and whether the queue is still full (reject-publish). */
interface Room {
  readonly isFull: boolean;
  readonly dropped: readonly number[];
  readonly expired: readonly number[];
}

/**
 * The in-memory state of one durable queue (shared/DESIGN.md, Queues).
 * Pure: time comes in as `now` (ms since the epoch) and never runs backwards
 * inside a state (each method uses the latest `now` it has been given); no
 * timers, no I/O. Every change returns the StoreOps that persist it; the
 * state never talks to a store. index.ts states the invariants.
 */
export class QueueState {
  readonly settings: ResolvedQueueSettings;
  /** Every entry, waiting or in flight, by message id. */
  private readonly entries = new Map<number, Entry>();
  private readonly waiting = new WaitingSet();
  private readonly inFlight = new InFlight();
  /** The latest `now` seen. */
  private clock = -Infinity;

  /** An empty queue. Throws ERR_BAD_REQUEST for bad settings. */
  constructor(readonly name: string, settings: QueueSettings = {}) {
    this.settings = resolveQueueSettings(name, settings);
  }

  /**
   * The state after a restart, from the store's entries for this queue: all
   * waiting (ready or delayed by their availableAt) with their delivery
   * counts, nothing in flight (the store keeps no in-flight state). O(n).
   * Entries past their TTL go, with ops, when deliver() meets them or
   * advance() runs; entries at their delivery limit are dead-lettered when
   * deliver() meets them.
   */
  static recover(name: string, settings: QueueSettings, records: readonly EntryRecord[], now: number): QueueState {
    const state = new QueueState(name, settings);
    const t = state.tick(now);
    for (const record of records) {
      if (record.queue !== name) throw new OrdoError('ERR_INTERNAL', `queue ${name}: recovered an entry of ${record.queue}`);
      if (state.entries.has(record.messageId)) {
        throw new OrdoError('ERR_INTERNAL', `queue ${name}: message ${record.messageId} recovered twice`);
      }
      const { messageId, priority, availableAt, expiresAt, deliveries } = record;
      state.entries.set(messageId, newEntry(messageId, priority, availableAt, expiresAt, deliveries));
    }
    state.waiting.build([...state.entries.values()], t);
    return state;
  }

  /**
   * Adds a message; its expiry is the sooner of its own and now +
   * messageTtlMs. When maxLength messages already wait, those past their TTL
   * go first; if the queue is still full, reject-publish refuses the message
   * and drop-oldest deletes the oldest waiting one (never one in flight).
   * Throws ERR_CONFLICT if the queue holds the message, ERR_BAD_REQUEST for a
   * priority outside 0–9 or a time that is not finite.
   */
  enqueue(input: NewEntry, now: number): EnqueueResult {
    const t = this.tick(now);
    const availableAt = input.availableAt ?? t;
    const own = input.expiresAt ?? null;
    this.checkNew(input.messageId, input.priority, availableAt, own);
    const ttl = this.settings.messageTtlMs;
    const expiresAt = ttl === null ? own : Math.min(own ?? Infinity, t + ttl);
    const ops: StoreOp[] = [];
    const room = this.makeRoom(t, ops, 0);
    if (room.isFull) return { accepted: false, ops, droppedMessageIds: NONE, expiredMessageIds: room.expired };
    const entry = newEntry(input.messageId, input.priority, availableAt, expiresAt, 0);
    this.entries.set(entry.messageId, entry);
    this.waiting.add(entry, t);
    ops.push({ op: 'addEntry', entry: toRecord(this.name, entry) });
    return { accepted: true, ops, droppedMessageIds: room.dropped, expiredMessageIds: room.expired };
  }

  /**
   * Takes an entry another queue dead-lettered into this one with moveEntry.
   * Commit that queue's ops first, and call this with the `now` of the call
   * that dead-lettered it: the move put the entry in the store afresh — its
   * priority kept, no deliveries, no expiry (the source's TTL does not follow
   * a dead letter), available at that time — and this state takes it so. If
   * this queue already holds the message (two queues sharing this dead-letter
   * queue held it), the move only deleted the source's entry: the existing
   * entry stays as it is and nothing changes. A dead letter is never refused
   * (under reject-publish the queue may pass maxLength: refusing would lose a
   * confirmed message); under drop-oldest the oldest waiting entries make
   * room, and the arrival may be the oldest. `record` is the entry as it was
   * in the source queue.
   */
  acceptDeadLetter(record: EntryRecord, now: number): AcceptResult {
    const t = this.tick(now);
    checkEntryFields(record.messageId, record.priority, record.availableAt, record.expiresAt);
    if (this.entries.has(record.messageId)) return { ops: [], droppedMessageIds: NONE, expiredMessageIds: NONE };
    const entry = newEntry(record.messageId, record.priority, t, null, 0);
    this.entries.set(entry.messageId, entry);
    this.waiting.add(entry, t);
    const ops: StoreOp[] = [];
    const room = this.makeRoom(t, ops, 1);
    return { ops, droppedMessageIds: room.dropped, expiredMessageIds: room.expired };
  }

  /** The lowest message id waiting (ready or delayed), if any [protocol 2.17]. */
  lowestWaitingId(): number | undefined {
    return this.waiting.lowestId();
  }

  /**
   * The next message for `consumerId`, in flight until now + ackDeadlineMs,
   * or undefined. Entries met at the head past their TTL are removed (a
   * message past its TTL is never delivered), and entries already delivered
   * maxDeliveries times are dead-lettered (never delivered more often).
   * `inIdOrder` (a causal or total consumer [semantics 2.4]): the lowest id
   * waiting, whatever the priorities, and nothing while it is delayed.
   */
  deliver(consumerId: string, now: number, inIdOrder = false): DeliverResult {
    const t = this.tick(now);
    const ops: StoreOp[] = [];
    let expired: number[] | undefined;
    let deadLettered: EntryRecord[] | undefined;
    // An ordered consumer takes the lowest id first, priorities aside, and nothing above a lower id still delayed:
    // it would hold that back, its window filling with what waits for the one that needs the window [semantics 2.4].
    const next = (): Entry | undefined => (inIdOrder ? this.waiting.lowestReady() : this.waiting.head());
    for (let head = next(); head !== undefined; head = next()) {
      this.waiting.remove(head);
      if (isExpired(head, t)) {
        this.entries.delete(head.messageId);
        ops.push(this.deleteOp(head));
        (expired ??= []).push(head.messageId);
      } else if (head.deliveries >= this.settings.maxDeliveries) {
        (deadLettered ??= []).push(toRecord(this.name, head));
        this.deadLetter(head, t, ops);
      } else {
        head.deliveries += 1;
        this.inFlight.add(head, consumerId, t + this.settings.ackDeadlineMs);
        ops.push({ op: 'setDeliveries', queue: this.name, messageId: head.messageId, deliveries: head.deliveries });
        return { delivery: toDelivery(head), ops, expiredMessageIds: expired ?? NONE, deadLettered: deadLettered ?? NONE };
      }
    }
    return { delivery: undefined, ops, expiredMessageIds: expired ?? NONE, deadLettered: deadLettered ?? NONE };
  }

  /** Acks a delivery: the entry is gone for good. ERR_NOT_FOUND unless `consumerId` holds it in flight. */
  ack(messageId: number, consumerId: string): StoreOp[] | 'ERR_NOT_FOUND' {
    const entry = this.heldEntry(messageId, consumerId);
    if (entry === undefined) return 'ERR_NOT_FOUND';
    this.inFlight.remove(entry);
    this.entries.delete(messageId);
    return [this.deleteOp(entry)];
  }

  /**
   * Gives a delivery back. With `requeue` it waits again — ready, or delayed
   * by `delayMs` (0 to 100 years) — unless it was delivered maxDeliveries
   * times; without `requeue`, or at that limit, it is dead-lettered (moved to
   * the dead-letter queue, or deleted when there is none). ERR_NOT_FOUND
   * unless `consumerId` holds it; ERR_BAD_REQUEST for a bad delay.
   */
  nack(
    messageId: number, consumerId: string, options: { readonly requeue: boolean; readonly delayMs?: number; readonly release?: boolean }, now: number,
  ): NackResult | QueueRefusal {
    const delayMs = options.delayMs ?? 0;
    if (!isDuration(delayMs, MAX_DURATION_MS)) return 'ERR_BAD_REQUEST';
    const entry = this.heldEntry(messageId, consumerId);
    if (entry === undefined) return 'ERR_NOT_FOUND';
    const t = this.tick(now);
    this.inFlight.remove(entry);
    const ops: StoreOp[] = [];
    if (options.release === true && options.requeue && entry.deliveries > 0) {
      // Given back unhandled (so that it comes again after a redelivery it must not overtake): this delivery does not count.
      entry.deliveries--;
      ops.push({ op: 'setDeliveries', queue: this.name, messageId: entry.messageId, deliveries: entry.deliveries });
    }
    const outcome = options.requeue ? this.comeBack(entry, t, ops, delayMs) : this.deadLetter(entry, t, ops);
    return { ops, outcome, entry: toRecord(this.name, entry) };
  }

  /**
   * Moves a delivery's deadline to now + `ms` (0 to 12 h; 0 gives it back at
   * the next expireDeadlines()). Deadlines are not stored, so no ops.
   */
  extendDeadline(messageId: number, consumerId: string, ms: number, now: number): ExtendResult | QueueRefusal {
    if (!isDuration(ms, MAX_ACK_DEADLINE_MS)) return 'ERR_BAD_REQUEST';
    const entry = this.heldEntry(messageId, consumerId);
    if (entry === undefined) return 'ERR_NOT_FOUND';
    this.inFlight.setDeadline(entry, this.tick(now) + ms);
    return { ops: [], deadline: entry.deadline };
  }

  /**
   * Exactly-once: `consumerId` has received the delivery and is running its
   * effect, which may take longer than any deadline: it stays in flight
   * until acked, nacked or released with its consumer. False when
   * `consumerId` does not hold it. No ops (deadlines are not stored).
   */
  holdUntilReleased(messageId: number, consumerId: string): boolean {
    const entry = this.heldEntry(messageId, consumerId);
    if (entry === undefined) return false;
    this.inFlight.setDeadline(entry, Infinity);
    return true;
  }

  /** True when `consumerId` holds `messageId` in flight. */
  holds(messageId: number, consumerId: string): boolean {
    return this.heldEntry(messageId, consumerId) !== undefined;
  }

  /**
   * True when `count` more messages would be accepted now: always under
   * drop-oldest; under reject-publish while the waiting entries leave room
   * (counting expired ones, which enqueue would clear first: a refusal here
   * may be one enqueue would not make).
   */
  hasRoomFor(count: number): boolean {
    return this.settings.overflow !== 'reject-publish' || this.waiting.size + count <= this.settings.maxLength;
  }

  /** In-flight entries past their deadline come back: waiting again, or dead-lettered at maxDeliveries. */
  expireDeadlines(now: number): ReturnResult {
    const t = this.tick(now);
    const ops: StoreOp[] = [];
    const returned: ReturnedEntry[] = [];
    for (let due = this.inFlight.firstDue(t); due !== undefined; due = this.inFlight.firstDue(t)) {
      returned.push(this.giveBack(due, t, ops));
    }
    return { ops, returned };
  }

  /** Every in-flight entry of `consumerId` comes back (it disconnected or cancelled), as in expireDeadlines(). */
  releaseConsumer(consumerId: string, now: number): ReturnResult {
    const t = this.tick(now);
    const ops: StoreOp[] = [];
    return { ops, returned: this.inFlight.heldBy(consumerId).map((entry) => this.giveBack(entry, t, ops)) };
  }

  /**
   * Everything due by `now`: expireDeadlines(), then every waiting entry past
   * its TTL is removed (one that just came back included). Call it when
   * nextWakeAt() comes; afterwards nextWakeAt() is later than `now`.
   */
  advance(now: number): AdvanceResult {
    const { ops, returned } = this.expireDeadlines(now);
    return { ops, returned, expiredMessageIds: this.expireWaiting(this.clock, ops) };
  }

  /**
   * Removes every waiting (ready and delayed) entry, or with `max` the
   * oldest `max` of them (lowest message ids first). In-flight entries stay
   * until acked or nacked, as RabbitMQ's purge removes only ready messages:
   * so the ops are one purgeQueue when everything goes and nothing is in
   * flight, else one deleteEntry per removed entry.
   */
  purge(max = Infinity): PurgeResult {
    const isAll = max >= this.waiting.size;
    const removed = isAll ? this.waiting.clear() : this.waiting.takeOldest(this.waiting.size - max);
    for (const entry of removed) this.entries.delete(entry.messageId);
    const ops: StoreOp[] = isAll && this.inFlight.size === 0
      ? [{ op: 'purgeQueue', queue: this.name }]
      : removed.map((entry) => this.deleteOp(entry));
    return { ops, purgedMessageIds: removed.map((entry) => entry.messageId).sort((a, b) => a - b) };
  }

  /**
   * Takes up to `max` ready entries out, in delivery order, to queue `to`
   * (an administrator's move [protocol 2.14]). Each goes as a dead letter
   * does — a moveEntry keeping its priority, with no deliveries, no expiry,
   * available at `now` — so the target takes it with acceptDeadLetter()
   * after these ops. Entries past their TTL met on the way are deleted, not
   * moved; delayed and in-flight entries stay.
   */
  takeReady(max: number, to: string, now: number): TakeResult {
    const t = this.tick(now);
    const ops: StoreOp[] = [];
    const taken: EntryRecord[] = [];
    const expired: number[] = [];
    for (let head = this.waiting.head(); head !== undefined && taken.length < max; head = this.waiting.head()) {
      this.waiting.remove(head);
      this.entries.delete(head.messageId);
      if (isExpired(head, t)) {
        ops.push(this.deleteOp(head));
        expired.push(head.messageId);
        continue;
      }
      taken.push(toRecord(this.name, head));
      ops.push(this.moveOp(head, to, t));
    }
    return { ops, taken, expiredMessageIds: expired };
  }

  /** How many more entries may wait before maxLength is reached (0 when full). */
  get room(): number {
    return Math.max(0, this.settings.maxLength - this.waiting.size);
  }

  /**
   * Age of the oldest waiting entry (the lowest message id) at `now`: how
   * long since it became available in this queue (sent, requeued with a
   * delay, or dead-lettered here), ms; 0 while it is delayed; null when
   * nothing waits. O(1).
   */
  oldestAgeMs(now: number): number | null {
    const oldest = this.waiting.oldest();
    return oldest === undefined ? null : Math.max(0, now - oldest.availableAt);
  }

  /**
   * Browse: up to `n` waiting entries in the order deliver() would hand them
   * out from `now` on if nothing else happened — the ready ones, then the
   * delayed ones by availableAt — leaving out what will never be delivered
   * (past its TTL by then, or at maxDeliveries). O(k log k) for the k entries
   * it looks at, whatever the queue's size.
   */
  peek(n: number, now: number): EntryRecord[] {
    const isDeliverable = (entry: Entry, when: number): boolean =>
      !isExpired(entry, when) && entry.deliveries < this.settings.maxDeliveries;
    return this.waiting.browse(n, this.tick(now), isDeliverable).map((entry) => toRecord(this.name, entry));
  }

  /** How many entries are where, as of `now`. */
  counts(now: number): QueueCounts {
    this.tick(now);
    const { readyCount: ready, delayedCount: delayed } = this.waiting;
    return { ready, delayed, inFlight: this.inFlight.size, total: this.entries.size };
  }

  /**
   * The earliest time something changes on its own — a delay ends, a
   * deadline passes, a waiting entry expires — or undefined: ms since the
   * epoch, so the broker keeps one timer per queue. It may be past: a delay
   * ended by then makes entries deliverable, anything else awaits advance().
   */
  nextWakeAt(): number | undefined {
    const waiting = this.waiting.nextChangeAt();
    const deadline = this.inFlight.nextDeadline();
    return waiting === undefined || deadline === undefined ? waiting ?? deadline : Math.min(waiting, deadline);
  }

  /** True when the queue holds the message, waiting or in flight. */
  has(messageId: number): boolean {
    return this.entries.has(messageId);
  }

  /** Every entry as the store should hold it, in no set order: what recover() would be given. */
  records(): EntryRecord[] {
    return [...this.entries.values()].map((entry) => toRecord(this.name, entry));
  }

  /** Moves the clock to `now` (never back) and makes ready the delayed entries whose time has come. */
  private tick(now: number): number {
    if (now > this.clock) this.clock = now;
    this.waiting.promote(this.clock);
    return this.clock;
  }

  /**
   * Room for one more waiting entry beyond `arrived` already added: entries
   * past their TTL go first, then the oldest under drop-oldest. Under
   * reject-publish the queue may stay full: a new arrival (`arrived` 0) is
   * then refused, a dead letter (1) is taken anyway.
   */
  private makeRoom(t: number, ops: StoreOp[], arrived: 0 | 1): Room {
    const limit = this.settings.maxLength + arrived;
    if (this.waiting.size < limit) return { isFull: false, dropped: NONE, expired: NONE };
    const expired = this.expireWaiting(t, ops);
    if (this.settings.overflow === 'reject-publish') return { isFull: this.waiting.size >= limit, dropped: NONE, expired };
    return { isFull: false, dropped: this.forget(this.waiting.takeOldest(limit - 1), ops), expired };
  }

  /** Removes the waiting entries past their TTL at `t`; their ids, soonest expiry first. */
  private expireWaiting(t: number, ops: StoreOp[]): readonly number[] {
    return this.forget(this.waiting.takeExpired(t), ops);
  }

  /** Deletes entries already out of every place, for good; their ids. */
  private forget(gone: readonly Entry[], ops: StoreOp[]): readonly number[] {
    if (gone.length === 0) return NONE;
    for (const entry of gone) {
      this.entries.delete(entry.messageId);
      ops.push(this.deleteOp(entry));
    }
    return gone.map((entry) => entry.messageId);
  }

  /** An in-flight entry back from its consumer (deadline, release): waiting again or dead-lettered. */
  private giveBack(entry: Entry, t: number, ops: StoreOp[]): ReturnedEntry {
    const consumerId = entry.consumerId!;
    this.inFlight.remove(entry);
    const outcome = this.comeBack(entry, t, ops, 0);
    return { consumerId, outcome, entry: toRecord(this.name, entry) };
  }

  /** An entry out of flight waits again (after `delayMs`), unless it reached maxDeliveries. */
  private comeBack(entry: Entry, t: number, ops: StoreOp[], delayMs: number): ReturnOutcome {
    if (entry.deliveries >= this.settings.maxDeliveries) return this.deadLetter(entry, t, ops);
    if (delayMs > 0) {
      entry.availableAt = t + delayMs;
      ops.push({ op: 'setAvailableAt', queue: this.name, messageId: entry.messageId, availableAt: entry.availableAt });
    }
    // availableAt is otherwise already past (the entry was delivered), so it is ready; its id keeps its place.
    this.waiting.add(entry, t);
    return 'requeued';
  }

  /**
   * Dead-letters an entry out of every place at `t`: moved to the dead-letter
   * queue afresh (no deliveries, no expiry, available at `t`: what
   * acceptDeadLetter() takes), or deleted when there is none.
   */
  private deadLetter(entry: Entry, t: number, ops: StoreOp[]): ReturnOutcome {
    this.entries.delete(entry.messageId);
    const to = this.settings.deadLetterQueue;
    ops.push(to === null ? this.deleteOp(entry) : this.moveOp(entry, to, t));
    return 'dead-lettered';
  }

  /** The entry moved to queue `to` afresh at `t`: what acceptDeadLetter() takes. */
  private moveOp(entry: Entry, to: string, t: number): StoreOp {
    return { op: 'moveEntry', from: this.name, to, messageId: entry.messageId, deliveries: 0, expiresAt: null, availableAt: t };
  }

  private deleteOp(entry: Entry): StoreOp {
    return { op: 'deleteEntry', queue: this.name, messageId: entry.messageId };
  }

  /** Throws unless an entry with these fields can join (ERR_BAD_REQUEST; ERR_CONFLICT if the queue holds the message). */
  private checkNew(messageId: number, priority: number, availableAt: number, expiresAt: number | null): void {
    checkEntryFields(messageId, priority, availableAt, expiresAt);
    if (this.entries.has(messageId)) throw new OrdoError('ERR_CONFLICT', `queue ${this.name} already holds message ${messageId}`);
  }

  /** How many times message `messageId` has been delivered from this queue (the current delivery included), or undefined if it holds no such message. */
  deliveriesOf(messageId: number): number | undefined {
    return this.entries.get(messageId)?.deliveries;
  }

  private heldEntry(messageId: number, consumerId: string): Entry | undefined {
    const entry = this.entries.get(messageId);
    return entry !== undefined && this.inFlight.isHeldBy(entry, consumerId) ? entry : undefined;
  }
}
