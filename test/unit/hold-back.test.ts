import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOrdoError } from '../../broker/errors/index.js';
import { Arrival, HoldBack, type OrderedItem } from '../../client/ordering/hold-back.js';

/** One delivered copy of a message: `copy` tells copies of one seq apart. */
interface Copy extends OrderedItem {
  readonly copy: number;
}

const causal = (seq: number, dep: number, copy = 0): Copy => ({ seq, dep, copy });
const total = (seq: number, dep: number, scope: string, copy = 0): Copy => ({ seq, dep, scope, copy });
const seqs = (copies: readonly OrderedItem[]): number[] => copies.map((c) => c.seq);

describe('HoldBack examples [semantics 2.2, 2.3]', () => {
  it('holds m2 that arrived first on stream B until m1, delayed on stream A, was handled', () => {
    const hb = new HoldBack<Copy>();
    hb.setPending(1); // m1 is routed to this client, not sent yet
    expect(hb.arrive(causal(2, 1))).toBe(Arrival.held);
    expect(seqs(hb.release())).toEqual([]);
    expect(hb.waitingFor()).toEqual({ seq: 2, blockedBy: [], isBlockedByPending: true });

    expect(hb.arrive(causal(1, 0))).toBe(Arrival.held);
    hb.setPending(0);
    expect(seqs(hb.release())).toEqual([1]); // m2 waits for m1's handler to finish, not to start
    expect(hb.waitingFor()).toEqual({ seq: 2, blockedBy: [{ seq: 1, state: 'running' }], isBlockedByPending: false });
    hb.delivered(1);
    expect(seqs(hb.release())).toEqual([2]);
    hb.delivered(2);
    expect(hb.outstandingCount).toBe(0);
  });

  it('releases one total-order scope in seq order across two streams, while another scope goes on', () => {
    const hb = new HoldBack<Copy>();
    hb.setPending(3);
    hb.arrive(total(5, 0, 'orders')); // stream B overtook stream A
    hb.arrive(total(4, 0, 'audit'));
    expect(seqs(hb.release())).toEqual([]); // 4 and 5 wait for 3: it may be of their scope
    hb.arrive(total(3, 0, 'orders')); // stream A
    hb.setPending(0);
    expect(seqs(hb.release())).toEqual([3, 4]); // 'audit' does not wait for 'orders'
    hb.delivered(4);
    expect(seqs(hb.release())).toEqual([]);
    hb.delivered(3);
    expect(seqs(hb.release())).toEqual([5]);
  });

  it('lets a gone predecessor stop blocking: owed, then dead-lettered', () => {
    const hb = new HoldBack<Copy>();
    hb.arrive(causal(1, 0));
    expect(seqs(hb.release())).toEqual([1]);
    hb.owe(1); // the handler failed: 1 comes again
    hb.arrive(causal(2, 1));
    expect(seqs(hb.release())).toEqual([]);
    expect(hb.waitingFor()?.blockedBy).toEqual([{ seq: 1, state: 'owed' }]);
    hb.gone(1);
    expect(seqs(hb.release())).toEqual([2]);
  });

  it('lets a held predecessor dropped by the application stop blocking', () => {
    const hb = new HoldBack<Copy>();
    hb.arrive(total(1, 0, 's'));
    hb.arrive(total(2, 0, 's'));
    expect(seqs(hb.release())).toEqual([1]);
    hb.arrive(causal(3, 2));
    hb.gone(2);
    expect(hb.heldCount).toBe(1);
    hb.delivered(1);
    expect(seqs(hb.release())).toEqual([3]);
  });

  it('holds while pending is at or below what a message must follow', () => {
    const hb = new HoldBack<Copy>();
    hb.setPending(2);
    hb.arrive(causal(5, 2));
    hb.arrive(total(6, 0, 's'));
    expect(seqs(hb.release())).toEqual([]);
    hb.setPending(3); // causal 5 needs dep < pending; total 6 needs its own seq below it
    expect(seqs(hb.release())).toEqual([5]);
    hb.setPending(6);
    expect(seqs(hb.release())).toEqual([]);
    hb.setPending(7);
    expect(seqs(hb.release())).toEqual([6]);
  });

  it('tells duplicates apart: outstanding (ignored, replaceable) and already delivered (released at once)', () => {
    const hb = new HoldBack<Copy>();
    hb.setPending(1);
    expect(hb.arrive(causal(2, 0, 0))).toBe(Arrival.held);
    expect(hb.arrive(causal(2, 0, 1))).toBe(Arrival.duplicate);
    expect(hb.replace(causal(2, 0, 1))?.copy).toBe(0); // the caller settles the older copy
    expect(hb.release()).toEqual([causal(2, 0, 1)]);
    expect(hb.arrive(causal(2, 0, 2))).toBe(Arrival.duplicate); // its handler runs
    expect(hb.delivered(2)?.copy).toBe(1);

    hb.setPending(0);
    hb.arrive(causal(3, 2));
    hb.arrive(causal(4, 3));
    expect(seqs(hb.release())).toEqual([3]);
    expect(hb.arrive(causal(2, 0, 3))).toBe(Arrival.again); // blocks nothing, waits for nothing
    expect(hb.release()).toEqual([causal(2, 0, 3)]);
    hb.owe(2); // a failed at-least-once duplicate does not make 2 outstanding again
    expect(hb.outstandingCount).toBe(2);
    expect(hb.delivered(2)).toBeUndefined();
  });

  it('holds an owed message again when it comes back', () => {
    const hb = new HoldBack<Copy>();
    hb.arrive(causal(1, 0));
    hb.release();
    hb.owe(1);
    hb.arrive(causal(2, 1));
    expect(hb.arrive(causal(1, 0, 1))).toBe(Arrival.held);
    expect(hb.release()).toEqual([causal(1, 0, 1)]);
    hb.delivered(1);
    expect(seqs(hb.release())).toEqual([2]);
  });

  it('forgets held and owed messages on reset, but not running ones nor what was delivered', () => {
    const hb = new HoldBack<Copy>();
    hb.arrive(causal(1, 0));
    hb.arrive(total(2, 0, 's'));
    hb.arrive(total(3, 0, 's'));
    expect(seqs(hb.release())).toEqual([1, 2]);
    hb.delivered(1);
    hb.owe(2);
    hb.arrive(causal(4, 3));
    hb.setPending(9);
    expect(hb.heldCount).toBe(2);
    expect(hb.outstandingCount).toBe(3);

    hb.arrive(total(5, 0, 't'));
    expect(seqs(hb.release())).toEqual([5]);
    hb.reset();
    expect(hb.heldCount).toBe(0);
    expect(hb.outstandingCount).toBe(1); // 5's handler still runs
    expect(hb.arrive(total(5, 0, 't', 1))).toBe(Arrival.duplicate); // the broker sent it again
    expect(hb.arrive(causal(1, 0, 1))).toBe(Arrival.again);
    hb.arrive(total(6, 0, 't'));
    expect(seqs(hb.release())).toEqual([1]);
    expect(hb.delivered(5)?.copy).toBe(0);
    expect(seqs(hb.release())).toEqual([6]);
  });

  it('remembers only the last rememberDelivered seqs', () => {
    const hb = new HoldBack<Copy>({ rememberDelivered: 2 });
    for (const seq of [1, 2, 3]) {
      hb.arrive(causal(seq, 0));
      hb.release();
      hb.delivered(seq);
    }
    expect(hb.arrive(causal(3, 0, 1))).toBe(Arrival.again);
    expect(hb.arrive(causal(1, 0, 1))).toBe(Arrival.held); // forgotten: handled as new
  });

  it('never lets a message wait for itself, whatever dep says', () => {
    const hb = new HoldBack<Copy>();
    hb.arrive(causal(4, 9));
    expect(seqs(hb.release())).toEqual([4]);
  });

  it('refuses a bad rememberDelivered', () => {
    let caught: unknown;
    try {
      new HoldBack<Copy>({ rememberDelivered: -1 });
    } catch (err) {
      caught = err;
    }
    expect(isOrdoError(caught, 'ERR_BAD_REQUEST')).toBe(true);
  });

  it('releases thousands of held messages in order, each once', () => {
    const hb = new HoldBack<Copy>();
    const n = 5_000;
    hb.setPending(1);
    for (let seq = n; seq >= 2; seq--) hb.arrive(seq % 2 === 0 ? total(seq, seq - 1, 's') : causal(seq, seq - 1));
    expect(hb.release()).toEqual([]);
    hb.arrive(causal(1, 0));
    hb.setPending(0);
    const order: number[] = [];
    for (let out = hb.release(); out.length > 0; out = hb.release()) {
      for (const m of out) {
        order.push(m.seq);
        hb.delivered(m.seq);
      }
    }
    expect(order).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(hb.outstandingCount).toBe(0);
  });
});

/**
 * What happens to a routed message at the subscriber: handled first time;
 * its handler fails once (owed, then sent again); lost (never arrives, gone
 * reported); dead-lettered (every handling fails, then gone).
 */
type Fate = 'normal' | 'nack' | 'never' | 'dead';

interface Published extends OrderedItem {
  readonly past: ReadonlySet<number>;
  readonly isRouted: boolean;
  readonly fate: Fate;
}

const specArb = fc.record({
  publisher: fc.nat({ max: 3 }),
  receives: fc.array(fc.nat({ max: 1000 }), { maxLength: 2 }),
  scope: fc.constantFrom<string | undefined>(undefined, undefined, 'a', 'b'),
  coarse: fc.constantFrom(0, 0, 1, 3),
  isRouted: fc.nat({ max: 5 }).map((n) => n > 0),
  fate: fc.constantFrom<Fate>('normal', 'normal', 'normal', 'normal', 'nack', 'never', 'dead'),
});
type Spec = typeof specArb extends fc.Arbitrary<infer T> ? T : never;

/**
 * A history: publishers publish in turn; before publishing, one may receive
 * earlier messages. seq is the generation order, a linear extension of
 * happened-before; dep is the highest seq of the causal past, sometimes
 * coarser (any value from there up to seq - 1 keeps dep's promise).
 */
function buildHistory(specs: Spec[]): Published[] {
  const lastOf = new Map<number, number>();
  const out: Published[] = [];
  specs.forEach((spec, i) => {
    const past = new Set<number>();
    const follow = (j: number): void => {
      past.add(j + 1);
      for (const s of out[j].past) past.add(s);
    };
    const own = lastOf.get(spec.publisher);
    if (own !== undefined) follow(own);
    if (i > 0) for (const r of spec.receives) follow(r % i);
    lastOf.set(spec.publisher, i);
    const seq = i + 1;
    const dep = Math.min(seq - 1, Math.max(0, ...past) + spec.coarse);
    out.push({ seq, dep, scope: spec.scope, past, isRouted: spec.isRouted, fate: spec.fate });
  });
  return out;
}

interface Running {
  readonly m: Copy;
  readonly isAgain: boolean;
}

/** A subscriber fed by random streams, with the checks of [semantics 2.2, 2.3] made at every release. */
class Simulation {
  readonly hb = new HoldBack<Copy>();
  readonly streams: Copy[][];
  private readonly running: Running[] = [];
  private readonly runningSeqs = new Set<number>();
  readonly delivered = new Set<number>();
  private readonly dying = new Set<number>();
  /** Dead-lettered ones the hold-back was told of (gone, or forgotten at a reset): nothing need wait for them. */
  private readonly buried = new Set<number>();
  /** Nacked copies the broker has not taken back yet: not in pending until it has. */
  private readonly returning: Copy[] = [];
  private readonly goneCalled = new Set<number>();
  private readonly againQueued = new Map<number, number>();
  private readonly failed = new Set<number>();
  private published = 0;
  private pending = 0;
  private copies = 0;
  private resetsLeft: number;
  private staleLeft = 3;
  private dupsLeft = 4;

  constructor(
    readonly history: readonly Published[],
    streamCount: number,
    resets: number,
    private readonly g: fc.GeneratorValue,
  ) {
    this.streams = Array.from({ length: streamCount }, () => []);
    this.resetsLeft = resets;
  }

  run(): void {
    for (;;) {
      const actions = this.enabledActions();
      if (actions.length === 0) break;
      actions[this.g(fc.nat, { max: actions.length - 1 })]();
      this.keepPendingTrue();
      this.releaseAll();
    }
  }

  private enabledActions(): (() => void)[] {
    const actions: (() => void)[] = [];
    if (this.published < this.history.length) actions.push(() => this.publishNext());
    this.streams.forEach((stream, i) => {
      if (stream.length > 0) actions.push(() => this.arriveFrom(i));
    });
    for (const r of this.running) actions.push(() => this.finish(r));
    if (this.returning.length > 0) actions.push(() => this.takeBack());
    for (const m of this.history.slice(0, this.published)) {
      const isLost = m.isRouted && (m.fate === 'never' || this.dying.has(m.seq));
      if (isLost && !this.goneCalled.has(m.seq)) actions.push(() => this.reportGone(m.seq));
    }
    if (this.resetsLeft > 0) actions.push(() => this.resetConnection());
    const truth = this.truePending();
    if (this.pending !== truth) actions.push(() => this.setPending(truth));
    if (this.staleLeft > 0 && truth > 1) actions.push(() => this.setStalePending(truth));
    return actions;
  }

  private publishNext(): void {
    const m = this.history[this.published++];
    if (m.isRouted && m.fate !== 'never') this.enqueue(m);
  }

  private enqueue(m: OrderedItem): void {
    const copy: Copy = { seq: m.seq, dep: m.dep, scope: m.scope, copy: this.copies++ };
    this.streams[this.g(fc.nat, { max: this.streams.length - 1 })].push(copy);
  }

  private arriveFrom(i: number): void {
    const c = this.streams[i].shift() as Copy;
    const wasDelivered = this.delivered.has(c.seq);
    const wasRunning = this.runningSeqs.has(c.seq);
    const kind = this.hb.arrive(c);
    if (wasDelivered) expect(kind).toBe(Arrival.again);
    if (wasRunning) expect(kind).toBe(Arrival.duplicate);
    if (kind === Arrival.again) this.againQueued.set(c.seq, (this.againQueued.get(c.seq) ?? 0) + 1);
    if (kind === Arrival.duplicate && this.g(fc.boolean)) this.hb.replace(c);
    if (this.dupsLeft > 0 && this.history[c.seq - 1].fate !== 'dead' && this.g(fc.nat, { max: 3 }) === 0) {
      this.dupsLeft--;
      this.enqueue(c); // a redelivery on some stream
    }
  }

  private finish(r: Running): void {
    this.running.splice(this.running.indexOf(r), 1);
    const seq = r.m.seq;
    if (r.isAgain) {
      expect(this.hb.delivered(seq)).toBeUndefined();
      return;
    }
    this.runningSeqs.delete(seq);
    const fate = this.history[seq - 1].fate;
    if (fate === 'dead' || (fate === 'nack' && !this.failed.has(seq))) {
      this.failed.add(seq);
      this.hb.owe(seq);
      if (fate === 'nack') {
        this.returning.push(r.m);
      } else {
        this.dying.add(seq); // dead-lettered by the broker: no copy comes any more
        for (const stream of this.streams) stream.splice(0, stream.length, ...stream.filter((c) => c.seq !== seq));
      }
      return;
    }
    this.hb.delivered(seq);
    this.delivered.add(seq);
  }

  /** The broker took a nacked message back: it is routed and unsent again, sent on some stream. */
  private takeBack(): void {
    const m = this.returning.splice(this.g(fc.nat, { max: this.returning.length - 1 }), 1)[0];
    this.enqueue(m);
  }

  private reportGone(seq: number): void {
    this.goneCalled.add(seq);
    if (this.dying.has(seq)) this.buried.add(seq);
    this.hb.gone(seq);
  }

  private resetConnection(): void {
    this.resetsLeft--;
    this.hb.reset();
    this.pending = 0;
    for (const stream of this.streams) stream.length = 0;
    this.returning.length = 0;
    for (const seq of this.dying) this.buried.add(seq);
    // The broker sends every undelivered stored delivery again, in seq order on each stream.
    for (const m of this.history.slice(0, this.published)) {
      if (m.isRouted && m.fate !== 'never' && !this.delivered.has(m.seq) && !this.dying.has(m.seq)) this.enqueue(m);
    }
  }

  /** The lowest seq routed here and not arrived yet (0: none): what the broker reports. */
  private truePending(): number {
    let lowest = Infinity;
    for (const stream of this.streams) for (const c of stream) lowest = Math.min(lowest, c.seq);
    return lowest === Infinity ? 0 : lowest;
  }

  private setPending(value: number): void {
    this.pending = value;
    this.hb.setPending(value);
  }

  /** A value below the truth: it may only delay. */
  private setStalePending(truth: number): void {
    this.staleLeft--;
    this.setPending(this.g(fc.integer, { min: 1, max: truth }));
  }

  /** The broker updates pending before a value above the truth could mislead. */
  private keepPendingTrue(): void {
    const truth = this.truePending();
    if (truth !== 0 && (this.pending === 0 || this.pending > truth)) this.setPending(truth);
  }

  private releaseAll(): void {
    const out = this.hb.release();
    expect(seqs(out)).toEqual([...seqs(out)].sort((a, b) => a - b));
    for (const m of out) this.onRelease(m);
  }

  private onRelease(m: Copy): void {
    if (this.delivered.has(m.seq)) {
      // Only an 'again' arrival releases a delivered seq once more.
      const queued = this.againQueued.get(m.seq) ?? 0;
      expect(queued).toBeGreaterThan(0);
      this.againQueued.set(m.seq, queued - 1);
      this.running.push({ m, isAgain: true });
      return;
    }
    expect(this.runningSeqs.has(m.seq)).toBe(false); // never released twice at a time
    expect(this.goneCalled.has(m.seq)).toBe(false);
    const published = this.history[m.seq - 1];
    const mustPrecede = (x: Published): boolean => x.isRouted && x.fate !== 'never' && !this.buried.has(x.seq);
    for (const x of this.history) {
      const isCausal = published.past.has(x.seq);
      const isScopeBefore = published.scope !== undefined && x.scope === published.scope && x.seq < m.seq;
      if ((isCausal || isScopeBefore) && mustPrecede(x) && !this.delivered.has(x.seq)) {
        throw new Error(`released ${m.seq} before ${x.seq} was handled (${isCausal ? 'causal' : 'scope'} predecessor)`);
      }
    }
    this.runningSeqs.add(m.seq);
    this.running.push({ m, isAgain: false });
  }

  checkDrained(): void {
    expect(this.hb.heldCount).toBe(0);
    expect(this.hb.outstandingCount).toBe(0);
    for (const m of this.history) {
      const shouldBeHandled = m.isRouted && m.fate !== 'never' && m.fate !== 'dead';
      expect(this.delivered.has(m.seq)).toBe(shouldBeHandled);
    }
  }
}

describe('HoldBack properties [semantics 2.2, 2.3]', () => {
  it('releases every message after its causal and same-scope predecessors, each once, and holds nothing at the end', () => {
    fc.assert(
      fc.property(
        fc.array(specArb, { minLength: 1, maxLength: 24 }),
        fc.integer({ min: 1, max: 3 }),
        fc.nat({ max: 2 }),
        fc.gen(),
        (specs, streamCount, resets, g) => {
          const sim = new Simulation(buildHistory(specs), streamCount, resets, g);
          sim.run();
          sim.checkDrained();
        },
      ),
      { numRuns: 300 },
    );
  });
});
