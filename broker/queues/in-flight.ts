import { IndexedHeap } from './indexed-heap.js';
import { PLACE_POSITION, deadlineBefore, type Entry } from './queue-entry.js';

/**
 * A queue's in-flight entries: delivered, not yet acked. A heap by deadline
 * (for expireDeadlines and nextWakeAt) and, per consumer, its entries in
 * delivery order (for releaseConsumer). Nothing here is stored: after a
 * restart nothing is in flight.
 */
export class InFlight {
  private readonly deadlines = new IndexedHeap(deadlineBefore, PLACE_POSITION);
  private readonly consumers = new Map<string, Set<Entry>>();

  get size(): number {
    return this.deadlines.size;
  }

  /** Puts `entry` (no longer waiting) in flight to `consumerId` until `deadline`. */
  add(entry: Entry, consumerId: string, deadline: number): void {
    entry.place = 'inFlight';
    entry.consumerId = consumerId;
    entry.deadline = deadline;
    this.deadlines.push(entry);
    let held = this.consumers.get(consumerId);
    if (held === undefined) this.consumers.set(consumerId, held = new Set());
    held.add(entry);
  }

  /** Takes `entry`, which must be in flight, out of flight; its consumerId is cleared. */
  remove(entry: Entry): void {
    this.deadlines.remove(entry);
    const held = this.consumers.get(entry.consumerId!)!;
    held.delete(entry);
    if (held.size === 0) this.consumers.delete(entry.consumerId!);
    entry.consumerId = null;
  }

  /** True when `entry` is in flight to `consumerId`. */
  isHeldBy(entry: Entry, consumerId: string): boolean {
    return entry.place === 'inFlight' && entry.consumerId === consumerId;
  }

  /** Moves the deadline of `entry`, which must be in flight. */
  setDeadline(entry: Entry, deadline: number): void {
    entry.deadline = deadline;
    this.deadlines.update(entry);
  }

  /** The in-flight entry with the earliest deadline, if that deadline is at or before `t`. */
  firstDue(t: number): Entry | undefined {
    const first = this.deadlines.peek();
    return first !== undefined && first.deadline <= t ? first : undefined;
  }

  /** The earliest deadline, ms since the epoch. */
  nextDeadline(): number | undefined {
    return this.deadlines.peek()?.deadline;
  }

  /** The entries `consumerId` holds, in delivery order (a copy). */
  heldBy(consumerId: string): Entry[] {
    return [...(this.consumers.get(consumerId) ?? [])];
  }
}
