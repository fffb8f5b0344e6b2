import type { StoreStats } from '../protocol/index.js';
import type { Store, StoreOp } from '../store/index.js';

const DONE = Promise.resolve();
const NO_SYNC = Object.freeze({ sync: false });

/**
 * The broker's one way into the store: commits batches (the store groups
 * those of one turn into one transaction) and counts what it did, for stats
 * and for the bench's messages-per-fsync figure.
 */
export class Persister {
  /** Transactions, counted as the sum of 1/batches-sharing-it over committed batches. */
  private transactions = 0;
  /** Of those, the fsynced ones. */
  private fsyncs = 0;
  private batches = 0;
  private messages = 0;

  constructor(readonly store: Store) {}

  /**
   * Resolves once `ops` are as durable as the store promises (with `sync`
   * false: written, surviving a crash of the broker, fsynced with the next
   * synced commit); an empty batch resolves at once.
   */
  commit(ops: readonly StoreOp[], sync = true): Promise<void> {
    if (ops.length === 0) return DONE;
    let stored = 0;
    for (const op of ops) if (op.op === 'putMessage') stored++;
    return this.store.commit(ops, sync ? undefined : NO_SYNC).then((info) => {
      this.transactions += 1 / info.batches;
      if (info.synced) this.fsyncs += 1 / info.batches;
      this.batches++;
      this.messages += stored;
    });
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
}
