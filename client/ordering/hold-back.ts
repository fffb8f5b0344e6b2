import { OrdoError } from '../../broker/errors/index.js';
import { type HeapPosition, IndexedHeap } from '../../broker/queues/indexed-heap.js';
import { RecentSeqs } from './recent-seqs.js';

/*
 * The SDK's hold-back for causal and total-order messages [semantics 2.2,
 * 2.3]. The subscriptions of one client bring messages in whatever order
 * their streams (prefetch windows, redeliveries) happen to run; the hold-back
 * releases each to its handler only once everything it must follow has been
 * handled. Pure: no I/O, no timers; the client feeds it every event and runs
 * what release() returns. A fifo message on an ordered subscription comes
 * through it too, as a causal one whose `dep` the client chose (the highest
 * seq before it outstanding on its subscription).
 *
 * What the broker gives:
 * - `seq`: its acceptance order, a linear extension of happened-before.
 * - `dep` (< seq): every message that happened before this one has seq ≤ dep.
 * - `scope`: on total-order messages only.
 * - `pending`: the lowest seq routed to this client (through one of its
 *   ordered subscriptions) that it has not sent yet, 0 when none. Every
 *   routed message below it has arrived or never will.
 *
 * Invariants:
 * 1. Outstanding = held + running (released, handler not finished) + owed
 *    (handler failed, the broker sends it again). `entries` holds exactly the
 *    outstanding messages, one entry per seq. A message stays outstanding
 *    until delivered() or gone(): a successor waits for its predecessor's
 *    handler to finish, not merely to start.
 * 2. Causal [semantics 2.2]: m is released only when no outstanding seq is
 *    ≤ m.dep and (pending is 0 or m.dep < pending). Then every predecessor
 *    the client will receive has been handled: one that arrived is
 *    outstanding (blocks) or finished; one that has not arrived is routed,
 *    unsent and ≤ dep, so pending ≤ dep (blocks).
 * 3. Total [semantics 2.3]: a scoped m is also the lowest outstanding seq of
 *    its scope and m.seq < pending: every message of the scope below m that
 *    the client will receive has been handled, so a scope is handled one
 *    message at a time, in seq order — the broker's order, the same at every
 *    subscriber. Scopes never wait for each other except through rule 2.
 * 4. Candidates: a held message is a candidate when it is causal or the head
 *    (lowest outstanding seq) of its scope; only candidates can be released.
 *    A candidate sits in at most one queue, named by `entry.queue`: `byDep`
 *    (ordered by dep: it was blocked by an outstanding seq ≤ dep) or `byKey`
 *    (ordered by the seq pending must exceed: dep, or seq when scoped); a
 *    causal one always, a scope's head once release() has looked at its
 *    scope (`dirtyScopes`: those whose head may have changed since). The
 *    queues hold nothing else: a message leaves its queue when it is
 *    released, removed, forgotten at reset, or when a lower seq of its scope
 *    arrives. Releasing a message leaves it outstanding, so the lowest
 *    outstanding seq cannot rise during release(): one pass pops byDep while
 *    dep < lowest outstanding and byKey while key < pending, re-checking each
 *    popped one on both. Cost: O(log n) per candidate moved; the held are
 *    never scanned.
 * 5. Heaps: `bySeq` holds exactly the outstanding entries, and each scope's
 *    heap exactly the outstanding entries of that scope (a scope with none
 *    has no heap). They are indexed heaps: each entry keeps its position in
 *    each (`seqAt`, `scopeAt`, `candidateAt`; one field for both queues, by
 *    rule 4), so it leaves all of them in O(log n) the moment it stops being
 *    outstanding (delivered, gone, forgotten at reset); an owed one stays (it
 *    still blocks; it was running, so it is in no queue). Nothing stale stays
 *    behind: memory is O(outstanding), and every heap's top is live.
 * 6. The delivered memory (the last `rememberDelivered` finished seqs)
 *    survives reset(): a later copy of one of them is an at-least-once
 *    duplicate, released at once, blocking nothing. forgetDelivered() drops
 *    it when the broker restarted (it may give at-most-once ids again).
 */

/** What the hold-back needs of a message. */
export interface OrderedItem {
  /** The broker's id for the message: its acceptance order. */
  readonly seq: number;
  /** Every message that happened before this one has a seq at most `dep` (0: none). */
  readonly dep: number;
  /** A total-order message's scope; absent for a causal one. */
  readonly scope?: string;
}

/** What arrive() made of a message. */
export const Arrival = {
  /** Kept (or its owed mark cleared); release() hands it over when its turn comes. */
  held: 'held',
  /** Its seq is outstanding already: ignored. The caller settles this copy (or swaps it in with replace()). */
  duplicate: 'duplicate',
  /** Its seq was delivered already: an at-least-once duplicate, handed over by the next release() whatever is held. */
  again: 'again',
} as const;
export type Arrival = (typeof Arrival)[keyof typeof Arrival];

/** Where an outstanding message stands (invariant 1). */
export type OutstandingState = 'held' | 'running' | 'owed';

/** An outstanding message another waits for. */
export interface Blocker {
  readonly seq: number;
  readonly state: OutstandingState;
}

/** Why a held message is still held (for a stuck subscriber's diagnostics). */
export interface HoldReason {
  /** The held message (the lowest held seq). */
  readonly seq: number;
  /** Outstanding messages it waits for, lowest first, at most BLOCKERS_SHOWN of them. */
  readonly blockedBy: readonly Blocker[];
  /** It also waits for the broker to send a lower seq (pending). */
  readonly isBlockedByPending: boolean;
}

export interface HoldBackOptions {
  /**
   * How many finished seqs to remember, so that a later copy of one is
   * recognised as a duplicate (rule: released at once, blocking nothing)
   * rather than held as new. Costs about 40 bytes each. Default 100,000.
   */
  rememberDelivered?: number;
}

/** Default of HoldBackOptions.rememberDelivered. */
export const DEFAULT_REMEMBER_DELIVERED = 100_000;
/** Most blockers waitingFor() lists: enough to find the stuck one, small enough to log. */
export const BLOCKERS_SHOWN = 16;

type Queue = 'none' | 'dep' | 'key';

/** What the heaps read of an entry: its keys, and its positions in them (invariant 5). */
interface Keyed {
  readonly seq: number;
  readonly dep: number;
  readonly scope: string | undefined;
  /** Its position in `bySeq` (-1: not outstanding). */
  seqAt: number;
  /** Its position in its scope's heap (-1: causal, or not outstanding). */
  scopeAt: number;
  /** Its position in the candidate queue `queue` names (-1: in none). */
  candidateAt: number;
}

interface Entry<M> extends Keyed {
  /** The newest copy while held or running; undefined while owed. */
  copy: M | undefined;
  state: OutstandingState;
  /** The candidate queue holding it (invariant 4). */
  queue: Queue;
}

// One plain get/set pair per field (see HeapPosition on why).
const SEQ_AT: HeapPosition<Keyed> = { get: (e) => e.seqAt, set: (e, at) => { e.seqAt = at; } };
const SCOPE_AT: HeapPosition<Keyed> = { get: (e) => e.scopeAt, set: (e, at) => { e.scopeAt = at; } };
const CANDIDATE_AT: HeapPosition<Keyed> = { get: (e) => e.candidateAt, set: (e, at) => { e.candidateAt = at; } };

/** `bySeq` and the scopes' heaps: lowest seq first (seqs are unique among outstanding entries). */
function seqBefore(a: Keyed, b: Keyed): boolean {
  return a.seq < b.seq;
}

/** `byDep`: lowest dep first, then lowest seq. */
function depBefore(a: Keyed, b: Keyed): boolean {
  return a.dep < b.dep || (a.dep === b.dep && a.seq < b.seq);
}

/** `byKey`: lowest pendingKey first, then lowest seq. */
function keyBefore(a: Keyed, b: Keyed): boolean {
  const ka = pendingKey(a);
  const kb = pendingKey(b);
  return ka < kb || (ka === kb && a.seq < b.seq);
}

/**
 * Holds back causal and total-order messages until their turn (see the
 * invariants above). Call release() after any other call and run what it
 * returns; report each released message's end with delivered(), owe() or
 * gone().
 */
export class HoldBack<M extends OrderedItem> {
  private readonly entries = new Map<number, Entry<M>>();
  /** Every outstanding entry by seq: its top is the lowest outstanding seq. */
  private readonly bySeq = new IndexedHeap<Entry<M>>(seqBefore, SEQ_AT);
  /** Each scope's outstanding entries by seq: its top is the scope's head. */
  private readonly scopes = new Map<string, IndexedHeap<Entry<M>>>();
  /** Scopes whose head may have changed since the last release(). */
  private readonly dirtyScopes = new Set<string>();
  private readonly byDep = new IndexedHeap<Entry<M>>(depBefore, CANDIDATE_AT);
  private readonly byKey = new IndexedHeap<Entry<M>>(keyBefore, CANDIDATE_AT);
  /** 'again' arrivals for the next release(). */
  private again: M[] = [];
  private readonly finished: RecentSeqs;
  private pending = 0;
  private held = 0;

  constructor(options: HoldBackOptions = {}) {
    const remember = options.rememberDelivered ?? DEFAULT_REMEMBER_DELIVERED;
    if (!Number.isSafeInteger(remember) || remember < 0) {
      throw new OrdoError('ERR_BAD_REQUEST', 'rememberDelivered must be a non-negative integer');
    }
    this.finished = new RecentSeqs(remember);
  }

  /** Messages held (arrived, not released). */
  get heldCount(): number {
    return this.held;
  }

  /** Messages outstanding: held, running or owed (invariant 1). */
  get outstandingCount(): number {
    return this.entries.size;
  }

  /**
   * The copies of the held and running messages (owed ones have none), in no
   * particular order. Calling gone() or delivered() on the one just yielded
   * is safe while iterating.
   */
  *outstanding(): IterableIterator<M> {
    for (const e of this.entries.values()) if (e.copy !== undefined) yield e.copy;
  }

  /** The broker's latest `pending` (0: nothing routed is unsent); replaces the previous value. */
  setPending(lowest: number): void {
    this.pending = lowest;
  }

  /**
   * A message came in. A dep at or above seq (a broker fault) is read as
   * seq - 1, so that a message never waits for itself.
   */
  arrive(m: M): Arrival {
    const known = this.entries.get(m.seq);
    if (known !== undefined) {
      if (known.state !== 'owed') return Arrival.duplicate;
      known.copy = m;
      this.hold(known);
      return Arrival.held;
    }
    if (this.finished.has(m.seq)) {
      this.again.push(m);
      return Arrival.again;
    }
    const entry: Entry<M> = {
      seq: m.seq, dep: Math.min(m.dep, m.seq - 1), scope: m.scope, copy: m, state: 'held', queue: 'none',
      seqAt: -1, scopeAt: -1, candidateAt: -1,
    };
    this.add(entry);
    this.hold(entry);
    return Arrival.held;
  }

  /**
   * For a duplicate: keeps `m` as the copy of its seq (the newest delivery
   * handle) and returns the copy it replaces, for the caller to settle.
   * Undefined when the seq is neither held nor running: `m` is the copy to settle.
   */
  replace(m: M): M | undefined {
    const entry = this.entries.get(m.seq);
    if (entry?.copy === undefined) return undefined;
    const previous = entry.copy;
    entry.copy = m;
    return previous;
  }

  /** The handler of running `seq` failed and the broker will send it again: it stays outstanding until then. */
  owe(seq: number): void {
    const entry = this.entries.get(seq);
    if (entry?.state !== 'running') return; // an 'again' copy (already delivered once) or unknown
    entry.state = 'owed';
    entry.copy = undefined;
  }

  /** `seq` will never come or be handled (dead-lettered, or dropped by the application): it stops blocking. */
  gone(seq: number): void {
    const entry = this.entries.get(seq);
    if (entry !== undefined) this.remove(entry);
  }

  /**
   * The handler of `seq` finished: it stops blocking and is remembered
   * (invariant 6) — unless `remember` is false: a message that can never
   * come again (at most once) needs no memory. Returns its newest copy (see
   * replace()), undefined when it was not outstanding (an 'again' copy).
   */
  delivered(seq: number, remember = true): M | undefined {
    if (remember) this.finished.add(seq);
    const entry = this.entries.get(seq);
    if (entry === undefined) return undefined;
    this.remove(entry);
    return entry.copy;
  }

  /** The messages that may now run, in seq order, each released once (invariant 4). */
  release(): M[] {
    const out = this.again;
    this.again = [];
    for (const name of this.dirtyScopes) {
      const head = this.scopes.get(name)?.peek();
      if (head?.state === 'held' && head.queue === 'none') this.enqueue(head, 'dep');
    }
    this.dirtyScopes.clear();
    const lowest = this.bySeq.peek()?.seq ?? Infinity;
    const limit = this.pending === 0 ? Infinity : this.pending;
    for (let e = this.byDep.peek(); e !== undefined && e.dep < lowest; e = this.byDep.peek()) {
      this.byDep.pop();
      e.queue = 'none';
      if (pendingKey(e) < limit) out.push(this.run(e));
      else this.enqueue(e, 'key');
    }
    for (let e = this.byKey.peek(); e !== undefined && pendingKey(e) < limit; e = this.byKey.peek()) {
      this.byKey.pop();
      e.queue = 'none';
      if (e.dep < lowest) out.push(this.run(e));
      else this.enqueue(e, 'dep');
    }
    if (out.length > 1) out.sort((a, b) => a.seq - b.seq);
    return out;
  }

  /**
   * The connection was lost: held and owed messages are forgotten (the
   * broker sends its stored ones again; at-most-once ones are lost), as are
   * 'again' copies not yet released, and pending is 0 again. Running ones
   * stay outstanding until their delivered(); the delivered memory stays.
   */
  reset(): void {
    const running = [...this.entries.values()].filter((e) => e.state === 'running');
    this.entries.clear();
    this.bySeq.clear();
    for (const heap of this.scopes.values()) heap.clear();
    this.scopes.clear();
    this.dirtyScopes.clear();
    this.byDep.clear(); // only held entries, forgotten
    this.byKey.clear();
    this.again = [];
    this.held = 0;
    this.pending = 0;
    for (const e of running) this.add(e);
  }

  /** Where outstanding `seq` stands, undefined when it is not outstanding. */
  stateOf(seq: number): OutstandingState | undefined {
    return this.entries.get(seq)?.state;
  }

  /**
   * The broker restarted and may give at-most-once messages ids it gave
   * before: forgets which seqs were delivered, so that none of them is taken
   * for a duplicate (and released without waiting).
   */
  forgetDelivered(): void {
    this.finished.clear();
  }

  /** Why the lowest held message is held; undefined when none is. O(outstanding): for diagnostics only. */
  waitingFor(): HoldReason | undefined {
    let oldest: Entry<M> | undefined;
    for (const e of this.entries.values()) {
      if (e.state === 'held' && (oldest === undefined || e.seq < oldest.seq)) oldest = e;
    }
    if (oldest === undefined) return undefined;
    const m = oldest;
    const blockedBy = [...this.entries.values()]
      .filter((x) => x !== m && (x.seq <= m.dep || (m.scope !== undefined && x.scope === m.scope && x.seq < m.seq)))
      .sort((a, b) => a.seq - b.seq)
      .slice(0, BLOCKERS_SHOWN)
      .map((x) => ({ seq: x.seq, state: x.state }));
    return { seq: m.seq, blockedBy, isBlockedByPending: this.pending !== 0 && pendingKey(m) >= this.pending };
  }

  private add(entry: Entry<M>): void {
    this.entries.set(entry.seq, entry);
    this.bySeq.push(entry);
    if (entry.scope === undefined) return;
    let heap = this.scopes.get(entry.scope);
    if (heap === undefined) {
      heap = new IndexedHeap<Entry<M>>(seqBefore, SCOPE_AT);
      this.scopes.set(entry.scope, heap);
    }
    const head = heap.peek();
    heap.push(entry);
    // A lower seq of its scope arrived: the former head is no candidate any more (invariant 4).
    if (head !== undefined && entry.seq < head.seq) this.dequeue(head);
  }

  private remove(entry: Entry<M>): void {
    this.entries.delete(entry.seq);
    this.bySeq.remove(entry);
    if (entry.state === 'held') this.held--;
    this.dequeue(entry);
    if (entry.scope === undefined) return;
    const heap = this.scopes.get(entry.scope)!; // an outstanding scoped entry is in its scope's heap
    const wasHead = heap.peek() === entry;
    heap.remove(entry);
    if (heap.size === 0) this.scopes.delete(entry.scope);
    else if (wasHead) this.dirtyScopes.add(entry.scope);
  }

  /** Marks a new or redelivered outstanding entry held and makes it a candidate, or its scope due for a look. */
  private hold(entry: Entry<M>): void {
    entry.state = 'held';
    this.held++;
    if (entry.scope === undefined) this.enqueue(entry, 'dep');
    else this.dirtyScopes.add(entry.scope);
  }

  /** Marks a held candidate, already out of its queue, running. */
  private run(entry: Entry<M>): M {
    entry.state = 'running';
    this.held--;
    return entry.copy as M; // held entries always have a copy
  }

  /** Puts a held candidate that is in no queue into `queue`. */
  private enqueue(entry: Entry<M>, queue: 'dep' | 'key'): void {
    entry.queue = queue;
    (queue === 'dep' ? this.byDep : this.byKey).push(entry);
  }

  /** Takes `entry` out of its queue, if it is in one. */
  private dequeue(entry: Entry<M>): void {
    if (entry.queue === 'none') return;
    (entry.queue === 'dep' ? this.byDep : this.byKey).remove(entry);
    entry.queue = 'none';
  }
}

/** The seq that pending must exceed before the entry may run: its dep, or its own seq when scoped (rules 2, 3). */
function pendingKey(entry: { readonly seq: number; readonly dep: number; readonly scope?: string | undefined }): number {
  return entry.scope === undefined ? entry.dep : entry.seq;
}
