import Database from 'better-sqlite3';
import { OrdoError } from '../../broker/errors/index.js';
import { newProducerId, type DedupStore } from './dedup-store.js';

/** Options of a SqliteDedupStore. */
export interface SqliteDedupStoreOptions {
  /**
   * Keys committed longer ago than this (ms) are deleted at open and about
   * hourly. Default 7 days. Must exceed the longest a delivery may stay
   * uncompleted after its commit (a consumer down for longer runs it again).
   */
  maxAgeMs?: number;
  /**
   * How long (ms) a statement waits for another connection's write lock before
   * SQLITE_BUSY. Default 5000. The wait is synchronous: the event loop stops.
   */
  busyTimeoutMs?: number;
}

const DEFAULT_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
const DEFAULT_BUSY_TIMEOUT_MS = 5000;
/** The age limit is applied at open, then again at a commit once this long (ms) has passed. */
const PRUNE_EVERY_MS = 60 * 60 * 1000;
/** Forgotten keys gather this long (ms), then one DELETE removes them all. */
const FORGET_DELAY_MS = 100;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS ordo_dedup (key TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS ordo_dedup_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`;

/**
 * A durable dedup store in a SQLite file (Node only: `import { SqliteDedupStore } from 'ordo/node'`).
 * runOnce() hands the handler this store's better-sqlite3 Database inside an
 * open transaction: the handler's writes and the dedup record commit together.
 *
 * Invariants:
 * - Every database access (seen, commit, runOnce, the forget batch, close) runs
 *   on one promise chain, one at a time: none ever runs inside another's open
 *   transaction, even while an async runOnce handler awaits.
 * - A commit is durable once it resolves: WAL with synchronous=FULL fsyncs the
 *   log at every commit, so it survives a power cut.
 * - A forgotten key reads as not seen at once and leaves the file with the next
 *   batch (one DELETE, FORGET_DELAY_MS later) or at close; a commit cancels it.
 * - Pruning by age is safe: a key is forgotten when the broker confirms its
 *   delivery completed (never delivered again); the age limit only removes keys
 *   whose confirmation was lost, long after any redelivery could have come.
 * - Processes may share the file (busy timeout, BEGIN IMMEDIATE), and then
 *   share its producer id too: give each publishing process a file of its own.
 */
export class SqliteDedupStore implements DedupStore {
  private readonly db: Database.Database;
  private readonly maxAgeMs: number;
  private readonly id: string;
  private readonly sql;
  /** The end of the chain every database access runs on. */
  private tail: Promise<unknown> = Promise.resolve();
  private readonly forgotten = new Set<string>();
  private forgetTimer: ReturnType<typeof setTimeout> | undefined;
  private lastPruneAt = -Infinity;
  private closing: Promise<void> | undefined;

  constructor(readonly path: string, options: SqliteDedupStoreOptions = {}) {
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    if (!(this.maxAgeMs > 0)) throw badOption('maxAgeMs', 'a positive number', options.maxAgeMs);
    const timeout = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    if (!Number.isSafeInteger(timeout) || timeout < 0) throw badOption('busyTimeoutMs', 'a non-negative integer', timeout);
    let db: Database.Database | undefined;
    try {
      this.db = db = new Database(path, { timeout });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.exec(SCHEMA);
      // OR IGNORE: of two processes opening a new file at once, the first insert wins and both read it.
      db.prepare(`INSERT OR IGNORE INTO ordo_dedup_meta (name, value) VALUES ('producerId', ?)`).run(newProducerId());
      this.id = db.prepare(`SELECT value FROM ordo_dedup_meta WHERE name = 'producerId'`).pluck().get() as string;
      this.sql = {
        has: db.prepare('SELECT 1 FROM ordo_dedup WHERE key = ?'),
        record: db.prepare('INSERT OR REPLACE INTO ordo_dedup (key, at) VALUES (?, ?)'),
        forgetAll: db.prepare('DELETE FROM ordo_dedup WHERE key IN (SELECT value FROM json_each(?))'),
        prune: db.prepare('DELETE FROM ordo_dedup WHERE at < ?'),
      };
      this.pruneWhenDue();
    } catch (err) {
      db?.close();
      throw new OrdoError('ERR_BAD_CONFIG', `cannot open dedup store ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * The better-sqlite3 connection, to create the application's tables at startup. Statements run on it
   * outside a runOnce handler are not queued: one run while a handler awaits joins that handler's transaction.
   */
  get database(): Database.Database {
    return this.db;
  }

  seen(key: string): Promise<boolean> {
    return this.serial(() => this.isRecorded(key));
  }

  commit(key: string): Promise<void> {
    return this.serial(() => {
      this.pruneWhenDue();
      this.sql.record.run(key, Date.now());
      this.forgotten.delete(key);
    });
  }

  /** Queues `key` for the next batch delete. Ignored once the store is closed: the age limit removes it later. */
  forget(key: string): void {
    if (this.closing !== undefined) return;
    this.forgotten.add(key);
    this.forgetTimer ??= setTimeout(() => {
      this.forgetTimer = undefined;
      // A failed batch (SQLITE_BUSY) stays queued and goes with the next one.
      this.serial(() => this.deleteForgotten()).catch(() => undefined);
    }, FORGET_DELAY_MS);
    this.forgetTimer.unref?.();
  }

  /**
   * Runs `fn(db)` and records `key` in one transaction; resolves false without
   * calling fn when `key` is already recorded. BEGIN IMMEDIATE takes the write
   * lock before the check, so another connection cannot record `key` between
   * the check and the insert (a deferred transaction would fail to upgrade).
   */
  runOnce(key: string, fn: (tx: Database.Database) => unknown): Promise<boolean> {
    return this.serial(async () => {
      this.pruneWhenDue();
      this.db.exec('BEGIN IMMEDIATE');
      try {
        if (this.isRecorded(key)) {
          this.db.exec('COMMIT');
          return false;
        }
        const done = fn(this.db);
        // A synchronous fn keeps the whole transaction in one turn of the event loop (the lock held no longer).
        if (typeof (done as PromiseLike<unknown> | undefined)?.then === 'function') await done;
        this.sql.record.run(key, Date.now());
        this.db.exec('COMMIT');
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
      this.forgotten.delete(key);
      return true;
    });
  }

  producerId(): string {
    return this.id;
  }

  /** Waits for queued work, deletes the forgotten keys, closes the file. Later calls reject with ERR_CLOSED. */
  close(): Promise<void> {
    this.closing ??= this.tail.then(() => {
      clearTimeout(this.forgetTimer);
      try { this.deleteForgotten(); } catch { /* the keys stay until the age limit removes them */ }
      this.db.close();
    });
    return this.closing;
  }

  private serial<T>(work: () => T | Promise<T>): Promise<T> {
    if (this.closing !== undefined) return Promise.reject(new OrdoError('ERR_CLOSED', `the dedup store ${this.path} is closed`));
    const run = this.tail.then(work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private isRecorded(key: string): boolean {
    return !this.forgotten.has(key) && this.sql.has.get(key) !== undefined;
  }

  private deleteForgotten(): void {
    if (this.forgotten.size === 0) return;
    this.sql.forgetAll.run(JSON.stringify([...this.forgotten]));
    this.forgotten.clear();
  }

  /** Applies the age limit unless it was applied less than PRUNE_EVERY_MS ago (the first call always applies it). */
  private pruneWhenDue(now = Date.now()): void {
    if (now - this.lastPruneAt < PRUNE_EVERY_MS) return;
    this.lastPruneAt = now;
    this.sql.prune.run(now - this.maxAgeMs);
  }
}

function badOption(name: string, expected: string, got: unknown): OrdoError {
  return new OrdoError('ERR_BAD_CONFIG', `${name} must be ${expected} (got ${String(got)})`);
}
