/**
 * Opening a connection to the store file, the same way for the worker's
 * connection (which creates and migrates the file) and the broker thread's
 * (inline-commits.ts, which opens it once the worker has).
 */
import Database from 'better-sqlite3';
import { isOrdoError } from '../errors/index.js';
import type { Durability } from './store.js';
import { describe, StoreFault } from './worker-protocol.js';

/**
 * A connection in WAL mode with the durability's sync setting, or an
 * in-memory database when `file` is null. `prepare` (migrations) runs on
 * the new connection before it is returned. `busyTimeoutMs`: how long a
 * statement waits for another connection's lock before SQLITE_BUSY.
 */
export function openDatabase(
  file: string | null, durability: Durability, prepare?: (db: Database.Database, name: string) => void, busyTimeoutMs = 5000,
): Database.Database {
  const name = file ?? ':memory:';
  let db: Database.Database | undefined;
  try {
    db = new Database(name, { timeout: busyTimeoutMs });
    if (file !== null) {
      // WAL: a commit appends to one log (one fsync) instead of rewriting pages in place.
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`cannot switch to WAL mode (got ${String(mode)})`);
      // FULL fsyncs the WAL at every commit (survives a power cut); NORMAL leaves it to the OS (survives a crash).
      db.pragma(`synchronous = ${durability === 'fsync' ? 'FULL' : 'NORMAL'}`);
    }
    prepare?.(db, name);
    return db;
  } catch (err) {
    db?.close();
    if (isOrdoError(err)) throw err;
    // A missing, read-only or non-directory dataDir, or a file that is not a database: the operator's to fix.
    throw new StoreFault('ERR_BAD_CONFIG', `cannot open store ${name}: ${describe(err)}`);
  }
}
