import Database from 'better-sqlite3';
import { OrdoError } from '../../broker/errors/index.js';
import { newProducerId, type DedupStore } from './dedup-store.js';

/** Options of a SqliteDedupStore. */
export interface SqliteDedupStoreOptions {
  /**
   * Keys committed longer ago than this (ms) count as not seen, and are
   * deleted at the first write after opening, then about hourly. Default 7 days. Must exceed the longest a delivery may stay
   * uncompleted after its commit (a consumer down for longer runs it again).
   */
  maxAgeMs?: number;
  /**
   * How long (ms) a write waits for another connection's write lock (a
   * process sharing the file, whose handler may hold it while it runs)
   * before failing with ERR_TIMEOUT. Default 5000. The wait is asynchronous:
   * the event loop goes on, retrying with backoff.
   */
  busyTimeoutMs?: number;
}

const DEFAULT_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
const DEFAULT_BUSY_TIMEOUT_MS = 5000;
/** The age limit is applied at open, then again at a commit once this long (ms) has passed. */
const PRUNE_EVERY_MS = 60 * 60 * 1000;
/** Forgotten keys gather this long (ms), then one DELETE removes them all. */
const FORGET_DELAY_MS = 100;
/** Longest pause between two attempts at the write lock, ms. */
const MAX_LOCK_RETRY_MS = 50;

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
 * - Processes may share the file. Every write takes the file's write lock
 *   first (BEGIN IMMEDIATE), waiting for it asynchronously: another process's
 *   runOnce holds it while its handler runs, so processes sharing a file take
 *   turns, one effect at a time. Its producer id is shared too: give each
 *   publishing process that wants a stable id a file of its own.
 */
export class SqliteDedupStore implements DedupStore {
  private readonly db: Database.Database;
  private readonly maxAgeMs: number;
  private readonly busyTimeoutMs: number;
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
    const timeout = this.busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    if (!Number.isSafeInteger(timeout) || timeout < 0) throw badOption('busyTimeoutMs', 'a non-negative integer', timeout);
    let db: Database.Database | undefined;
    try {
      // Opening waits synchronously (setup only); every later write waits without blocking (takeWriteLock).
      this.db = db = new Database(path, { timeout });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.exec(SCHEMA);
      const readId = db.prepare(`SELECT value FROM ordo_dedup_meta WHERE name = 'producerId'`).pluck();
      // Written only once: a file in use by another process opens without its write lock.
      // OR IGNORE: of two processes opening a new file at once, the first insert wins and both read it.
      if (readId.get() === undefined) db.prepare(`INSERT OR IGNORE INTO ordo_dedup_meta (name, value) VALUES ('producerId', ?)`).run(newProducerId());
      this.id = readId.get() as string;
      db.pragma('busy_timeout = 0');
      this.sql = {
        // Past the age limit a key counts as gone before pruning deletes it.
        has: db.prepare('SELECT 1 FROM ordo_dedup WHERE key = ? AND at >= ?'),
        record: db.prepare('INSERT OR REPLACE INTO ordo_dedup (key, at) VALUES (?, ?)'),
        forgetAll: db.prepare('DELETE FROM ordo_dedup WHERE key IN (SELECT value FROM json_each(?))'),
        prune: db.prepare('DELETE FROM ordo_dedup WHERE at < ?'),
      };
    } catch (err) {
      db?.close();
      throw new OrdoError('ERR_BAD_CONFIG', `cannot open dedup store ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * The better-sqlite3 connection, to create the application's tables at startup. Statements run on it
   * outside a runOnce handler are not queued: one run while a handler awaits joins that handler's transaction.
   * Its busy timeout is 0 (the store waits for the write lock itself, without blocking): a write of the
   * application's outside runOnce fails at once with SQLITE_BUSY while another process's handler holds the lock.
   */
  get database(): Database.Database {
    return this.db;
  }

  seen(key: string): Promise<boolean> {
    return this.serial(() => this.isRecorded(key));
  }

  commit(key: string): Promise<void> {
    return this.serial(() => this.write(() => {
      this.pruneWhenDue();
      this.sql.record.run(key, Date.now());
      this.forgotten.delete(key);
    }));
  }

  /** Queues `key` for the next batch delete. Ignored once the store is closed: the age limit removes it later. */
  forget(key: string): void {
    if (this.closing !== undefined) return;
    this.forgotten.add(key);
    this.forgetTimer ??= setTimeout(() => {
      this.forgetTimer = undefined;
      // A failed batch (SQLITE_BUSY) stays queued and goes with the next one.
      this.serial(() => this.write(() => this.deleteForgotten())).catch(() => undefined);
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
      await this.takeWriteLock();
      try {
        this.pruneWhenDue();
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

  /** Runs `work` in a write transaction (the write lock taken without blocking the event loop). */
  private async write(work: () => void): Promise<void> {
    await this.takeWriteLock();
    try {
      work();
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  /**
   * BEGIN IMMEDIATE, retried with backoff while another connection holds the
   * write lock (the connection's own busy timeout is 0: a synchronous wait
   * would stop the event loop); ERR_TIMEOUT after busyTimeoutMs.
   */
  private async takeWriteLock(): Promise<void> {
    const deadline = Date.now() + this.busyTimeoutMs;
    for (let pause = 1; ; pause = Math.min(pause * 2, MAX_LOCK_RETRY_MS)) {
      try {
        this.db.exec('BEGIN IMMEDIATE');
        return;
      } catch (err) {
        if (!String((err as { code?: string }).code).startsWith('SQLITE_BUSY')) throw err;
        if (Date.now() >= deadline) {
          throw new OrdoError('ERR_TIMEOUT', `dedup store ${this.path}: another connection held the write lock for over ${this.busyTimeoutMs} ms`);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  private isRecorded(key: string): boolean {
    return !this.forgotten.has(key) && this.sql.has.get(key, Date.now() - this.maxAgeMs) !== undefined;
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
