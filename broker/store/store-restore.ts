/**
 * Offline restore of a store backup (`ordo restore FILE --data DIR`): the
 * backup is checked (an SQLite file, not damaged, an Ordo schema this Ordo
 * can open), given a new instance id, and only then put in place of DIR's
 * store, never while a broker has that store open.
 *
 * Invariants:
 * - DIR's store is replaced by one rename of a complete, synced copy: a crash
 *   midway leaves the old store or the new one, never a mix.
 * - The old store's WAL and shared-memory files go before the rename: a WAL
 *   left beside the new file would be replayed into it.
 * - A store some process holds open (a running broker) is never replaced,
 *   with or without `force`.
 */
import { copyFile, mkdir, open, rename, rm } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { OrdoError } from '../errors/index.js';
import { fileErrorReason } from '../errors/file-errors.js';
import { SCHEMA_VERSION } from './migrations.js';
import { STORE_FILE } from './sqlite-store.js';

/** What a checked backup holds. */
export interface StoreFileInfo {
  /** Its schema version (the broker migrates an older one when it opens it). */
  readonly schemaVersion: number;
  readonly messages: number;
  readonly queues: number;
}

/** Options of {@link restoreStore}. */
export interface RestoreOptions {
  /** Replace a store the data directory already has. Default false: refuse. */
  readonly force?: boolean;
}

/** The first 16 bytes of every SQLite 3 database file. */
const SQLITE_HEADER = 'SQLite format 3\0';
/** Tables every Ordo schema has had since version 1. */
const ORDO_TABLES = ['meta', 'messages', 'queues', 'entries'];

/**
 * Puts the backup `file` in place of `dataDir`'s store (creating the
 * directory if need be) and says what it holds. Refuses with ERR_CONFLICT
 * while a broker has the store open, or when there is a store and `force`
 * is not set; with ERR_BAD_REQUEST when `file` is not an undamaged Ordo
 * store this Ordo can open.
 */
export async function restoreStore(file: string, dataDir: string, options: RestoreOptions = {}): Promise<StoreFileInfo> {
  await checkSqliteHeader(file);
  const target = join(dataDir, STORE_FILE);
  if (existsSync(target)) {
    refuseIfInUse(target, dataDir);
    if (options.force !== true) throw new OrdoError('ERR_CONFLICT', `${dataDir} already has a store (${STORE_FILE}): pass --force to replace it`);
  }
  // The first directory made, if any: removed again when the backup turns out bad.
  const made = await mkdir(dataDir, { recursive: true });
  const copy = `${target}.restoring`;
  let isRestored = false;
  try {
    await copyFile(file, copy);
    const info = inspectStore(copy, file);
    await syncFile(copy);
    if (existsSync(target)) refuseIfInUse(target, dataDir);
    for (const leftover of [`${target}-wal`, `${target}-shm`]) await rm(leftover, { force: true });
    await rename(copy, target);
    await syncFile(dataDir);
    isRestored = true;
    return info;
  } finally {
    for (const temp of [copy, `${copy}-wal`, `${copy}-shm`]) await rm(temp, { force: true });
    if (!isRestored && made !== undefined) await rm(made, { recursive: true, force: true });
  }
}

/**
 * True while some process has the SQLite store `file` open (a broker keeps
 * a shared lock on it for as long as it runs): an exclusive lock cannot be
 * had at once.
 */
function isStoreInUse(file: string): boolean {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { fileMustExist: true, timeout: 0 });
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('ROLLBACK');
    return false;
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_BUSY') return true;
    // Not a database we can lock (damaged, not SQLite): no broker runs on it either.
    return false;
  } finally {
    db?.close();
  }
}

function refuseIfInUse(target: string, dataDir: string): void {
  if (isStoreInUse(target)) throw new OrdoError('ERR_CONFLICT', `a broker is using the store in ${dataDir}: stop it before restoring`);
}

async function checkSqliteHeader(file: string): Promise<void> {
  let header: string;
  try {
    const handle = await open(file, 'r');
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(16), 0, 16, 0);
      header = buffer.subarray(0, bytesRead).toString('latin1');
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw new OrdoError('ERR_BAD_REQUEST', `cannot read ${file}: ${fileErrorReason(err)}`);
  }
  if (header !== SQLITE_HEADER) throw new OrdoError('ERR_BAD_REQUEST', `${file} is not an Ordo store: not an SQLite file`);
}

/**
 * Checks the copy `copy` of `file` (named in errors): undamaged, an Ordo
 * schema this Ordo reads; gives it a new instance id and counts what it holds.
 */
function inspectStore(copy: string, file: string): StoreFileInfo {
  let db: Database.Database;
  try {
    db = new Database(copy, { fileMustExist: true });
  } catch (err) {
    throw new OrdoError('ERR_BAD_REQUEST', `${file} is not an Ordo store: ${(err as Error).message}`);
  }
  try {
    // A file cut short inside its last page reads as if zero-filled, which quick_check may not notice.
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const pages = db.pragma('page_count', { simple: true }) as number;
    const size = statSync(copy).size;
    if (size % pageSize !== 0 || size < pages * pageSize) {
      throw new OrdoError('ERR_BAD_REQUEST', `${file} is damaged: ${size} bytes, not the ${pages} pages of ${pageSize} bytes it says it holds (cut short?)`);
    }
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new OrdoError('ERR_BAD_REQUEST', `${file} is damaged: ${String(check)}`);
    const schemaVersion = db.pragma('user_version', { simple: true }) as number;
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name));
    const missing = ORDO_TABLES.filter((t) => !tables.has(t));
    if (schemaVersion === 0 || missing.length > 0) {
      throw new OrdoError('ERR_BAD_REQUEST', `${file} is not an Ordo store: ${missing.length > 0 ? `no table ${missing.join(', ')}` : 'no schema version'}`);
    }
    if (schemaVersion > SCHEMA_VERSION) {
      throw new OrdoError('ERR_BAD_REQUEST', `${file} has schema version ${schemaVersion}, newer than this Ordo understands (${SCHEMA_VERSION}): restore it with a newer Ordo`);
    }
    const count = (table: string): number => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    // A new instance id: the restored store gives out again `seq`s it gave after the backup, and exactly-once
    // consumers key what they handled by instance and seq; under the old id they would skip those as handled
    // [docs/operations.md, Backup]. (A version 1 file has none yet: its migration picks one.)
    db.prepare("UPDATE meta SET value = abs(random() % 9007199254740992) WHERE key = 'instance'").run();
    return { schemaVersion, messages: count('messages'), queues: count('queues') };
  } catch (err) {
    if (err instanceof OrdoError) throw err;
    throw new OrdoError('ERR_BAD_REQUEST', `${file} is not an Ordo store: ${(err as Error).message}`);
  } finally {
    db.close();
  }
}

/** fsync of a file or a directory (a rename is durable once its directory is synced). */
async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
