/**
 * store/: where the broker keeps what it promised to keep. One interface
 * (store.ts), two implementations: SqliteStore (durable; SQLite in a worker
 * thread) and MemoryStore (tests, at-most-once-only brokers). Both pass the
 * one contract suite, test/contract/store.contract.ts.
 *
 * Invariants:
 * - Only this module imports better-sqlite3. SQLite work runs in the
 *   worker (sqlite-worker.ts), with one measured exception: a small commit
 *   while the worker is idle and the event loop quiet runs on the broker's
 *   thread (inline-commits.ts), which is what makes a publisher awaiting
 *   each confirm fast; reads, compaction, backups and bursts never do.
 * - Batches commit atomically and in commit() call order; a commit()
 *   resolves only once its batch is as durable as the store's durability
 *   promises (fsync: a power cut; os: a crash of the broker; memory: nothing).
 * - Group commit: batches of one event-loop turn share one transaction, and
 *   those arriving while a transaction runs share the next one.
 * - Reads see every commit called before them (read-your-writes).
 * - Message ids come from the broker and are never reused, even after
 *   compaction deletes the newest messages (recover().nextMessageId).
 * - An entry or a retained slot keeps its message alive; compaction removes
 *   only messages nothing holds and that are outside their topic's retention.
 * - Users, ACL rules and settings (memory-security.ts, sqlite-security.ts)
 *   are put by key and never compacted; their ops cannot fail a batch.
 * - The SQLite schema changes only by appending to migrations.ts; a file from
 *   a newer Ordo is refused, never opened.
 * - A store file is replaced (restoreStore, for `ordo restore`) only while
 *   no process holds it open (store-restore.ts).
 */
import { SqliteStore } from './sqlite-store.js';
import type { Durability, Store } from './store.js';

export type {
  AclRuleRecord, ProducerSeqRecord, UserRecord,
  CommitInfo, Durability, EntryRecord, MessageOrder, QueueRecord, RecoveredState, RetentionLimits, Store, StoredMessage, StoreOp, TopicRecord,
} from './store.js';
export { SqliteStore, STORE_FILE } from './sqlite-store.js';
export { NO_HISTORY_PREFIX, keepsNoHistory } from './store.js';
export type { SqliteStoreOptions } from './sqlite-store.js';
export { MemoryStore } from './memory-store.js';
export { SCHEMA_VERSION } from './migrations.js';
export { restoreStore } from './store-restore.js';
export type { RestoreOptions, StoreFileInfo } from './store-restore.js';

/**
 * The broker's store for `dataDir` (which must exist) at `durability`: a
 * {@link SqliteStore} on `<dataDir>/ordo.db`, or on an in-memory database for
 * `memory`. Nothing is opened until its open().
 */
export function openStore(options: { readonly dataDir: string; readonly durability: Durability }): Store {
  return new SqliteStore(options);
}
