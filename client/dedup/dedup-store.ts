/**
 * Where an exactly-once consumer remembers which deliveries already took
 * effect, so that a redelivery (after a lost connection, a crash, a lost
 * COMPLETE) is recognised and its handler not run again.
 *
 * Keys look like `<brokerInstance>:<queueName>:<messageSeq>` (up to about
 * 300 characters). A store is only as exactly-once as it is durable: the
 * memory store forgets everything when the process ends.
 *
 * Browser-safe: nothing here imports a Node built-in.
 */
export interface DedupStore {
  /** True when the effect of delivery `key` was committed (and not forgotten since). */
  seen(key: string): boolean | Promise<boolean>;
  /**
   * Records that the effect of delivery `key` happened. A durable store
   * resolves only once the record would survive a crash.
   */
  commit(key: string): void | Promise<void>;
  /**
   * Optional. The broker confirmed that `key` is completed and will never be
   * delivered again, so the store may drop it. Losing a forget is harmless:
   * the key only takes space (until the store's age or size limit, if it has
   * one, removes it).
   */
  forget?(key: string): void | Promise<void>;
  /**
   * Optional, for stores that can share a transaction with the application:
   * runs `fn(tx)` and records `key` in ONE transaction, so fn's writes and the
   * record land together or neither does. Resolves true when fn ran and
   * committed, false when `key` was already recorded (fn not called). When fn
   * throws or rejects, the transaction rolls back and the error is rethrown.
   * Calls are serialized, one transaction at a time per store, even when fn
   * is async; commit() and seen() wait behind a running runOnce.
   */
  runOnce?(key: string, fn: (tx: unknown) => unknown): Promise<boolean>;
  /**
   * Optional. A producer id kept in the store: generated once, then the same
   * across process restarts. The SDK does not take it by itself: a process
   * that wants a stable producer id passes it to connect({ producerId }) —
   * one process per store, since the broker gives an id to one client at a time.
   */
  producerId?(): string | Promise<string>;
  /** Optional. Releases the store; it must not be used afterwards. */
  close?(): void | Promise<void>;
}

/** Bytes in a producer id: 128 random bits make a collision between two producers negligible. */
const PRODUCER_ID_BYTES = 16;

/**
 * A new random producer id: 128 bits as 32 lower-case hex characters. Uses
 * Web Crypto (`globalThis.crypto`), present in browsers and in Node 20.
 */
export function newProducerId(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(PRODUCER_ID_BYTES));
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex;
}
