import { OrdoError } from '../../broker/errors/index.js';
import type { DedupStore } from './dedup-store.js';

/** Options of a MemoryDedupStore. */
export interface MemoryDedupStoreOptions {
  /**
   * Most keys kept; committing one more drops the oldest. Default 1,000,000
   * (about 300 MB at the longest keys): a bound, so that a consumer whose
   * forgets never arrive cannot grow without end.
   */
  maxKeys?: number;
}

const DEFAULT_MAX_KEYS = 1_000_000;

/**
 * A dedup store in process memory: a Set of keys, in commit order.
 *
 * Invariants: at most `maxKeys` keys; when full, the key committed longest
 * ago goes first (its delivery is the most likely to be completed already).
 * Not durable: a restarted process starts empty and may run a handler again
 * for a delivery whose COMPLETE was lost.
 */
export class MemoryDedupStore implements DedupStore {
  private readonly keys = new Set<string>();
  private readonly maxKeys: number;

  constructor(options: MemoryDedupStoreOptions = {}) {
    this.maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    if (!Number.isSafeInteger(this.maxKeys) || this.maxKeys < 1) {
      throw new OrdoError('ERR_BAD_CONFIG', `maxKeys must be a positive integer (got ${String(options.maxKeys)})`);
    }
  }

  seen(key: string): boolean {
    return this.keys.has(key);
  }

  commit(key: string): void {
    if (this.keys.has(key)) return;
    this.keys.add(key);
    // A Set iterates in insertion order: its first key is the oldest commit.
    if (this.keys.size > this.maxKeys) this.keys.delete(this.keys.values().next().value as string);
  }

  forget(key: string): void {
    this.keys.delete(key);
  }

  /** How many keys the store holds. */
  get size(): number {
    return this.keys.size;
  }
}
