import { OrdoError } from '../../broker/errors/index.js';
import { newProducerId, type DedupStore } from './dedup-store.js';

/** Bumped with every change to the object stores below (onupgradeneeded migrates). */
const DB_VERSION = 1;
/** Dedup keys: out-of-line key = the delivery key, value = commit time (ms since the epoch). */
const KEYS = 'keys';
/** Store-wide values, by name: only the producer id so far. */
const META = 'meta';
const PRODUCER_ID = 'producerId';

/**
 * A durable dedup store for browsers, on IndexedDB (`globalThis.indexedDB`).
 *
 * Invariants: commit() resolves on its transaction's `complete` event, with
 * durability 'strict' (the browser flushed it to disk), so a key it recorded
 * survives a crash of the tab or the machine. Forgets use 'relaxed'
 * durability: losing one only leaves a key behind. The producer id is created
 * in the same readwrite transaction that looks for it, so two tabs opening the
 * same database at once still agree on one id. The database is opened on
 * first use, and closed when another tab asks to upgrade it.
 *
 * Browser-safe: imports no Node built-in (exported from the SDK's main entry).
 */
export class IndexedDbDedupStore implements DedupStore {
  private opening: Promise<IDBDatabase> | undefined;
  private producer: Promise<string> | undefined;
  private isClosed = false;

  constructor(readonly dbName = 'ordo-dedup') {}

  async seen(key: string): Promise<boolean> {
    const tx = (await this.db()).transaction(KEYS, 'readonly');
    return (await result(tx.objectStore(KEYS).count(key))) > 0;
  }

  async commit(key: string): Promise<void> {
    const tx = (await this.db()).transaction(KEYS, 'readwrite', { durability: 'strict' });
    tx.objectStore(KEYS).put(Date.now(), key);
    await completion(tx);
  }

  async forget(key: string): Promise<void> {
    const tx = (await this.db()).transaction(KEYS, 'readwrite', { durability: 'relaxed' });
    tx.objectStore(KEYS).delete(key);
    await completion(tx);
  }

  producerId(): Promise<string> {
    this.producer ??= this.loadProducerId().catch((err: unknown) => {
      this.producer = undefined; // a failed attempt is not remembered: the next call tries again
      throw err;
    });
    return this.producer;
  }

  /** Closes the database once its running transactions finish. Later calls reject with ERR_CLOSED. */
  async close(): Promise<void> {
    this.isClosed = true;
    const opening = this.opening;
    this.opening = undefined;
    if (opening !== undefined) (await opening.catch(() => undefined))?.close();
  }

  private async loadProducerId(): Promise<string> {
    const tx = (await this.db()).transaction(META, 'readwrite', { durability: 'strict' });
    const meta = tx.objectStore(META);
    const request = meta.get(PRODUCER_ID);
    let id = '';
    // The put is queued from the success callback, where the transaction is certainly still active.
    request.onsuccess = () => {
      const found: unknown = request.result;
      id = typeof found === 'string' ? found : newProducerId();
      if (id !== found) meta.put(id, PRODUCER_ID);
    };
    await completion(tx);
    return id;
  }

  private db(): Promise<IDBDatabase> {
    if (this.isClosed) return Promise.reject(new OrdoError('ERR_CLOSED', `the dedup store ${this.dbName} is closed`));
    this.opening ??= openDatabase(this.dbName).catch((err: unknown) => {
      this.opening = undefined;
      throw err;
    });
    return this.opening;
  }
}

function openDatabase(name: string): Promise<IDBDatabase> {
  const factory = globalThis.indexedDB as IDBFactory | undefined;
  if (factory === undefined) {
    return Promise.reject(new OrdoError('ERR_BAD_CONFIG', 'IndexedDbDedupStore needs globalThis.indexedDB (a browser, or a polyfill)'));
  }
  const request = factory.open(name, DB_VERSION);
  request.onupgradeneeded = () => {
    const db = request.result;
    if (!db.objectStoreNames.contains(KEYS)) db.createObjectStore(KEYS);
    if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
  };
  return result(request).then((db) => {
    // Another tab wants a newer version: step aside rather than block its upgrade (later calls here then fail).
    db.onversionchange = () => db.close();
    return db;
  });
}

/** The request's result once it succeeds. */
function result<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Resolves when the transaction committed; rejects when it failed or was aborted. */
function completion(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new OrdoError('ERR_INTERNAL', 'the IndexedDB transaction was aborted'));
  });
}
