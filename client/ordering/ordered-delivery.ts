import { appendMapEntry, encodeValue } from '../../broker/protocol/index.js';
import type { Message, NackOutcome } from '../message.js';
import type { Subscription } from '../subscription.js';
import { Arrival, HoldBack, type HoldReason } from './hold-back.js';

/** `after`, the key of a publish's causal past [protocol 2.3], as an encoded str. */
const AFTER_KEY = encodeValue('after');

/** Held messages past which an arriving at-most-once one is dropped (and counted in its subscription's `dropped`). */
export const MAX_HELD_AT_MOST_ONCE = 65_536;

/** A held message with the subscription it came on. */
interface Held {
  readonly seq: number;
  readonly dep: number;
  readonly scope?: string;
  readonly msg: Message<any>;
  readonly sub: Subscription<any>;
}

/**
 * The client's side of causal and total order [semantics 2.2, 2.3], across
 * all its subscriptions and consumers:
 * - stamps its ordered publishes with `after`, the highest message id it has
 *   seen (received, or its own confirmed): the broker derives each message's
 *   `dep` from it;
 * - holds back what ordered subscriptions receive until what it depends on
 *   was handled (HoldBack), with the broker's PENDING telling it what is
 *   still to come;
 * - learns that a nacked delivery will never come again (dead-lettered, or
 *   expired while it waited) from the nack's answer, or when PENDING passes it.
 */
export class OrderedDelivery {
  private after = 0;
  private readonly holdBack = new HoldBack<Held>();
  /**
   * Copies that arrived while their seq was running (its connection lost, or
   * its ack deadline passed): each runs once the earlier run is over, which
   * may not have been settled, or not have run at all.
   */
  private readonly rerun = new Map<number, Held>();
  /** Copies of a held message that came on the client's other subscriptions: they run when it is released. */
  private readonly alsoOn = new Map<number, Held[]>();
  /** Released messages with copies on several subscriptions: how many handlers are still running, and a nack among them. */
  private readonly copiesRunning = new Map<number, { left: number; nacked?: { sub: Subscription<any>; done: Promise<NackOutcome> } }>();
  private isPumping = false;
  private mustPumpAgain = false;
  /** The broker's latest PENDING. */
  private pending = 0;
  /** Nacked deliveries not come again yet, by seq, with their subscription. */
  private readonly owed = new Map<number, Subscription<any>>();
  /** Of those, the ones the broker confirmed it took back: once PENDING passes one that has not come again, it never will. */
  private readonly takenBack = new Set<number>();
  private epoch = 0;

  /**
   * A welcome: what the broker accepted before this connection is in the
   * client's causal past. An id below what the client saw means the broker
   * restarted and may give at-most-once ids again.
   */
  onWelcome(lastSeq: number): void {
    if (lastSeq < this.after) this.holdBack.forgetDelivered();
    this.saw(lastSeq);
  }

  /** A confirmed publish or send (its OK's result): its id is in the causal past of what this client publishes next. */
  readonly sawConfirmed = (result: unknown): void => {
    const id = (result as { id?: unknown } | null)?.id;
    if (typeof id === 'number') this.saw(id);
  };

  /** A message id this client saw: received, or its own publish confirmed. */
  saw(seq: number): void {
    if (seq > this.after) this.after = seq;
  }

  /**
   * The encoded options of a publish or send (`wire` encoded), with `after`
   * added when it asks for causal or total order: written into the encoded
   * map, not encoded again (a publish's hot path).
   */
  stamp(wire: { readonly order?: string } | null, encoded: Uint8Array | null): Uint8Array | null {
    if (wire?.order !== 'causal' && wire?.order !== 'total') return encoded;
    return appendMapEntry(encoded!, AFTER_KEY, this.after) ?? encodeValue({ ...wire, after: this.after });
  }

  /**
   * A message arrived on `sub`, an ordered subscription: held until its turn.
   * A fifo one among them waits for what came before it on that
   * subscription, so it overtakes none of its publisher's earlier messages
   * [semantics 2.1].
   */
  arrive(sub: Subscription<any>, msg: Message<any>): void {
    // Stored deliveries are bounded by prefetch windows; at-most-once ones waiting here are not: past the cap they go.
    if (!msg.needsSettling && this.holdBack.heldCount >= MAX_HELD_AT_MOST_ONCE) {
      sub.dropped++;
      return;
    }
    const order = msg.order ?? { dep: this.sameSubscriptionBelow(sub, msg.seq) };
    const held: Held = { seq: msg.seq, dep: order.dep, scope: order.scope, msg, sub };
    this.owed.delete(msg.seq);
    this.takenBack.delete(msg.seq);
    if (this.holdBack.arrive(held) === Arrival.duplicate) this.another(held);
    this.pump();
  }

  /** A copy of a message outstanding already. */
  private another(held: Held): void {
    const isRunning = this.holdBack.stateOf(held.seq) === 'running';
    const first = this.holdBack.replace(held);
    if (first !== undefined && first.sub !== held.sub) {
      // The same message on another of the client's subscriptions: each runs it, at its turn.
      this.holdBack.replace(first);
      if (!isRunning) {
        this.alsoOn.set(held.seq, [...(this.alsoOn.get(held.seq) ?? []), held]);
        return;
      }
      const running = this.copiesRunning.get(held.seq) ?? { left: 1 };
      running.left++;
      this.copiesRunning.set(held.seq, running);
      held.sub.enqueue(held.msg);
      return;
    }
    // A redelivery on the same subscription (its ack deadline passed, or its connection was lost): held, it
    // replaces the older copy, whose tag the broker no longer knows; running, it runs after it.
    if (isRunning && first !== undefined) {
      this.holdBack.replace(first);
      this.rerun.set(held.seq, held);
    }
  }

  /** PENDING [protocol 2.17]: the lowest id routed here and not sent yet, 0 when none. */
  setPending(lowest: number): void {
    this.pending = lowest;
    this.holdBack.setPending(lowest);
    for (const seq of this.takenBack) this.unlessComing(seq);
    this.pump();
  }

  /** A nacked delivery the broker took back stops blocking once PENDING is past it: it left its queue without coming again. */
  private unlessComing(seq: number): void {
    if (this.pending === 0 || this.pending > seq) this.stopOwing(seq);
  }

  /**
   * `msg`'s handler finished on `sub`. A failed at-least-once delivery was
   * nacked (`nacked`): it stays in the way of what depends on it until it
   * comes again, or the broker says it will not.
   */
  handled(sub: Subscription<any>, msg: Message<any>, nacked?: Promise<NackOutcome>): void {
    if (this.runAgain(msg)) return;
    const copies = this.copiesRunning.get(msg.seq);
    if (copies !== undefined) {
      if (nacked !== undefined) copies.nacked = { sub, done: nacked };
      if (--copies.left > 0) return;
      this.copiesRunning.delete(msg.seq);
      if (copies.nacked !== undefined) ({ sub, done: nacked } = copies.nacked);
    }
    if (nacked === undefined) {
      // Only a stored delivery can come again: an at-most-once one needs no memory of having run.
      this.holdBack.delivered(msg.seq, msg.isStored);
      this.pump();
      return;
    }
    // A delivery of a lost connection comes again on the next, where PENDING counts it until it is there.
    if (!msg.isCurrent()) {
      this.holdBack.gone(msg.seq);
      this.pump();
      return;
    }
    this.holdBack.owe(msg.seq);
    this.owed.set(msg.seq, sub);
    const epoch = this.epoch;
    const takenBack = (): void => {
      if (epoch !== this.epoch || !this.owed.has(msg.seq)) return; // come again already, or the connection went
      // The answer follows the broker's PENDING after taking it back: from now on, one past it means it is gone.
      this.takenBack.add(msg.seq);
      this.unlessComing(msg.seq);
      this.pump();
    };
    nacked.then((outcome) => {
      if (outcome !== 'dead-lettered') return takenBack();
      if (epoch === this.epoch) this.stopOwing(msg.seq);
      this.pump();
    }, takenBack); // refused (not held any more: its deadline passed): it is back in its queue, or gone
  }

  /**
   * `msg` was not run (exactly-once: its delivery was no longer held): it
   * comes again, and what depends on it waits for that copy.
   */
  abandoned(msg: Message<any>): void {
    if (this.runAgain(msg)) return;
    this.holdBack.gone(msg.seq);
    this.pump();
  }

  /** Puts a copy that arrived while `msg` ran in its place, to run now: true when there was one. */
  private runAgain(msg: Message<any>): boolean {
    const again = this.rerun.get(msg.seq);
    if (again === undefined || again.msg === msg) return false;
    this.rerun.delete(msg.seq);
    this.holdBack.gone(msg.seq);
    this.arrive(again.sub, again.msg);
    return true;
  }

  /** `sub` ended: what it held or owes will not be handled, and blocks nothing more. */
  forget(sub: Subscription<any>): void {
    for (const [seq, copies] of this.alsoOn) {
      const kept = copies.filter((c) => c.sub !== sub);
      if (kept.length === 0) this.alsoOn.delete(seq);
      else this.alsoOn.set(seq, kept);
    }
    for (const held of this.holdBack.outstanding()) {
      if (held.sub !== sub || this.holdBack.stateOf(held.seq) !== 'held') continue;
      // Its copy on another subscription takes its place.
      const other = this.alsoOn.get(held.seq)?.shift();
      if (other !== undefined) this.holdBack.replace(other);
      else this.holdBack.gone(held.seq);
    }
    for (const [seq, owner] of this.owed) if (owner === sub) this.stopOwing(seq);
    this.pump();
  }

  private stopOwing(seq: number): void {
    this.owed.delete(seq);
    this.takenBack.delete(seq);
    this.holdBack.gone(seq);
  }

  /** The connection was lost: held messages come again (stored) or never (at most once). */
  reset(): void {
    this.epoch++;
    this.owed.clear();
    this.takenBack.clear();
    this.rerun.clear();
    this.alsoOn.clear();
    this.pending = 0;
    this.holdBack.reset();
  }

  /** Why the oldest held message waits (diagnostics). */
  waitingFor(): HoldReason | undefined {
    return this.holdBack.waitingFor();
  }

  get heldCount(): number {
    return this.holdBack.heldCount;
  }

  /** The highest id below `seq` outstanding on `sub`: a fifo message on it waits for that (and so for all below it there). */
  private sameSubscriptionBelow(sub: Subscription<any>, seq: number): number {
    let dep = 0;
    for (const held of this.holdBack.outstanding()) if (held.sub === sub && held.seq < seq && held.seq > dep) dep = held.seq;
    for (const [owedSeq, owner] of this.owed) if (owner === sub && owedSeq < seq && owedSeq > dep) dep = owedSeq;
    return dep;
  }

  /** Hands what may run to its subscription; a handler that finishes at once asks again from inside: looped, not recursed. */
  private pump(): void {
    if (this.isPumping) {
      this.mustPumpAgain = true;
      return;
    }
    this.isPumping = true;
    try {
      do {
        this.mustPumpAgain = false;
        for (const { sub, msg, seq } of this.holdBack.release()) {
          const others = this.alsoOn.get(seq);
          if (others !== undefined) {
            this.alsoOn.delete(seq);
            this.copiesRunning.set(seq, { left: 1 + others.length });
          }
          sub.enqueue(msg);
          for (const other of others ?? []) other.sub.enqueue(other.msg);
        }
      } while (this.mustPumpAgain);
    } finally {
      this.isPumping = false;
    }
  }
}
