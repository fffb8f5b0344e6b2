import type { StoreStats } from '../protocol/index.js';
import type { Store, StoreOp } from '../store/index.js';
import { CommitSizes } from '../observability/counters.js';

const DONE = Promise.resolve();
const NO_SYNC = Object.freeze({ sync: false });

/**
 * How long an ack may wait for a commit to share (ms). Acks are the one
 * thing no caller waits on to go on: holding them briefly lets a publisher
 * that sends one message at a time pay one transaction per message, not two.
 */
export const ACK_HOLD_MS = 2;

/** A batch held back until the next commit (or ACK_HOLD_MS). */
interface Held {
  readonly ops: readonly StoreOp[];
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/**
 * The broker's one way into the store: commits batches (the store groups
 * those of one turn into one transaction) and counts what it did, for stats,
 * /metrics and the bench's messages-per-fsync figure. Batches reach the store in
 * the order they were given, held ones included: any commit sends the held
 * batches ahead of itself.
 */
export class Persister {
  /** Transactions, counted as the sum of 1/batches-sharing-it over committed batches. */
  private transactions = 0;
  /** Of those, the fsynced ones. */
  private fsyncs = 0;
  private batches = 0;
  private messages = 0;
  /** Batches per transaction (group commit), for /metrics. */
  readonly commitSizes = new CommitSizes();
  /** Batches whose commit failed. */
  failures = 0;
  /** Told of each failed batch (the broker logs it); the caller of commit() gets the rejection as well. */
  onFailure: (err: unknown) => void = () => undefined;
  private held: Held[] = [];
  private holdTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly store: Store) {}

  /**
   * Resolves once `ops` are as durable as the store promises (with `sync`
   * false: written, surviving a crash of the broker, fsynced with the next
   * synced commit); an empty batch resolves at once.
   */
  commit(ops: readonly StoreOp[], sync = true): Promise<void> {
    if (ops.length === 0) return DONE;
    this.release();
    return this.send(ops, sync);
  }

  /**
   * As commit(ops, false), but the batch may wait up to ACK_HOLD_MS for
   * another commit to share its transaction.
   */
  commitLater(ops: readonly StoreOp[]): Promise<void> {
    if (ops.length === 0) return DONE;
    const done = new Promise<void>((resolve, reject) => this.held.push({ ops, resolve, reject }));
    this.holdTimer ??= setTimeout(() => this.release(), ACK_HOLD_MS);
    return done;
  }

  stats(): StoreStats {
    return {
      durability: this.store.durability,
      commits: Math.round(this.transactions),
      fsyncs: Math.round(this.fsyncs),
      batches: this.batches,
      messages: this.messages,
    };
  }

  /** Sends the held batches, in order. */
  private release(): void {
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    if (this.held.length === 0) return;
    const held = this.held;
    this.held = [];
    for (const h of held) this.send(h.ops, false).then(h.resolve, h.reject);
  }

  private send(ops: readonly StoreOp[], sync: boolean): Promise<void> {
    let stored = 0;
    for (const op of ops) if (op.op === 'putMessage') stored++;
    return this.store.commit(ops, sync ? undefined : NO_SYNC).then((info) => {
      this.transactions += 1 / info.batches;
      if (info.synced) this.fsyncs += 1 / info.batches;
      this.batches++;
      this.messages += stored;
      this.commitSizes.record(info.batches);
    }, (err: unknown) => {
      this.failures++;
      this.onFailure(err);
      throw err;
    });
  }
}
