import { IndexedHeap } from './indexed-heap.js';
import {
  AGE_POSITION, EXPIRY_POSITION, PLACE_POSITION, ageBefore, delayedBefore, expiryBefore, readyBefore, type Entry,
} from './queue-entry.js';

/**
 * A queue's waiting entries — ready (deliverable now) and delayed (not before
 * their availableAt) — in four heaps: ready in delivery order, delayed by
 * availableAt, all of them by age (for drop-oldest) and those with an expiry
 * by expiry (for TTL). Only ordering lives here; the rules (TTL, limits,
 * ops) are QueueState's.
 */
export class WaitingSet {
  private readonly ready = new IndexedHeap(readyBefore, PLACE_POSITION);
  private readonly delayed = new IndexedHeap(delayedBefore, PLACE_POSITION);
  private readonly byAge = new IndexedHeap(ageBefore, AGE_POSITION);
  private readonly byExpiry = new IndexedHeap(expiryBefore, EXPIRY_POSITION);

  /** Ready and delayed entries. */
  get size(): number {
    return this.byAge.size;
  }

  get readyCount(): number {
    return this.ready.size;
  }

  get delayedCount(): number {
    return this.delayed.size;
  }

  /** Adds `entry`, ready if its availableAt is at or before `t`, else delayed. */
  add(entry: Entry, t: number): void {
    if (entry.availableAt <= t) {
      entry.place = 'ready';
      this.ready.push(entry);
    } else {
      entry.place = 'delayed';
      this.delayed.push(entry);
    }
    this.byAge.push(entry);
    if (entry.expiresAt !== null) this.byExpiry.push(entry);
  }

  /** Replaces the contents with `entries`, in O(n) (recovery). */
  build(entries: Entry[], t: number): void {
    const ready: Entry[] = [];
    const delayed: Entry[] = [];
    for (const entry of entries) {
      entry.place = entry.availableAt <= t ? 'ready' : 'delayed';
      (entry.place === 'ready' ? ready : delayed).push(entry);
    }
    this.ready.build(ready);
    this.delayed.build(delayed);
    this.byAge.build([...entries]);
    this.byExpiry.build(entries.filter((entry) => entry.expiresAt !== null));
  }

  /** Takes `entry`, which must be waiting, out of every heap. */
  remove(entry: Entry): void {
    (entry.place === 'ready' ? this.ready : this.delayed).remove(entry);
    this.byAge.remove(entry);
    if (entry.expiresAt !== null) this.byExpiry.remove(entry);
  }

  /** Makes ready the delayed entries whose availableAt is at or before `t`. */
  promote(t: number): void {
    for (let first = this.delayed.peek(); first !== undefined && first.availableAt <= t; first = this.delayed.peek()) {
      this.delayed.remove(first);
      first.place = 'ready';
      this.ready.push(first);
    }
  }

  /** The next entry in delivery order (highest priority, then lowest id). */
  head(): Entry | undefined {
    return this.ready.peek();
  }

  /** The waiting entry with the lowest message id when it is ready, else undefined. */
  lowestReady(): Entry | undefined {
    const lowest = this.byAge.peek();
    return lowest?.place === 'ready' ? lowest : undefined;
  }

  /** The waiting entry with the lowest message id (the oldest), ready or delayed. */
  oldest(): Entry | undefined {
    return this.byAge.peek();
  }

  /** The lowest message id waiting, ready or delayed (what an ordered subscriber still expects). */
  lowestId(): number | undefined {
    return this.byAge.peek()?.messageId;
  }

  /** The earliest time a delayed entry becomes ready or an entry expires, ms since the epoch. */
  nextChangeAt(): number | undefined {
    const available = this.delayed.peek()?.availableAt;
    const expiry = this.byExpiry.peek()?.expiresAt ?? undefined;
    if (available === undefined || expiry === undefined) return available ?? expiry;
    return Math.min(available, expiry);
  }

  /** Takes out the entries past their TTL at `t`, soonest expiry first. */
  takeExpired(t: number): Entry[] {
    const taken: Entry[] = [];
    for (let first = this.byExpiry.peek(); first !== undefined && first.expiresAt! <= t; first = this.byExpiry.peek()) {
      this.remove(first);
      taken.push(first);
    }
    return taken;
  }

  /** Takes out the oldest entries (lowest message id first) until at most `keep` remain. */
  takeOldest(keep: number): Entry[] {
    const taken: Entry[] = [];
    while (this.byAge.size > keep) {
      const oldest = this.byAge.peek()!;
      this.remove(oldest);
      taken.push(oldest);
    }
    return taken;
  }

  /**
   * Up to `n` entries that `isDeliverable(entry, when)` accepts, `when` being
   * the time each could first be delivered from `t` on: the ready ones in
   * delivery order, then the delayed ones by availableAt. Changes nothing;
   * O(n log n) for the entries looked at, whatever the set's size.
   */
  browse(n: number, t: number, isDeliverable: (entry: Entry, when: number) => boolean): Entry[] {
    const found: Entry[] = [];
    if (n <= 0) return found;
    for (const heap of [this.ready, this.delayed]) {
      for (const entry of heap.ordered()) {
        if (!isDeliverable(entry, Math.max(t, entry.availableAt))) continue;
        found.push(entry);
        if (found.length >= n) return found;
      }
    }
    return found;
  }

  /** Empties the set; returns what it held, in no set order. */
  clear(): Entry[] {
    const all = this.byAge.clear();
    this.ready.clear();
    this.delayed.clear();
    this.byExpiry.clear();
    return all;
  }
}
