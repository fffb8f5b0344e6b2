/**
 * The dedup stores: one suite run against every DedupStore (memory, SQLite,
 * IndexedDB through fake-indexeddb), then what only some promise: the memory
 * store's bound; SQLite's runOnce transactions, shared files and age limit.
 */
import 'fake-indexeddb/auto';
import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isOrdoError } from '../../broker/errors/index.js';
import { newProducerId, type DedupStore } from '../../client/dedup/dedup-store.js';
import { IndexedDbDedupStore } from '../../client/dedup/indexeddb-store.js';
import { MemoryDedupStore } from '../../client/dedup/memory-store.js';
import { SqliteDedupStore, type SqliteDedupStoreOptions } from '../../client/dedup/sqlite-store.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';

const res = useResources();

/** A kind of store. Persistent kinds: two `open(place)` on one place are two handles on the same keys. */
interface StoreKind {
  readonly name: string;
  readonly isPersistent: boolean;
  newPlace(): Promise<string>;
  open(place: string): DedupStore;
}

/** A database path in a fresh temp dir, removed after the test. */
async function sqlitePlace(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ordo-dedup-'));
  res.defer(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'dedup.db');
}

let dbNames = 0;
const KINDS: StoreKind[] = [
  { name: 'MemoryDedupStore', isPersistent: false, newPlace: async () => '', open: () => new MemoryDedupStore() },
  { name: 'SqliteDedupStore', isPersistent: true, newPlace: sqlitePlace, open: (path) => new SqliteDedupStore(path) },
  { name: 'IndexedDbDedupStore', isPersistent: true, newPlace: async () => `ordo-dedup-${++dbNames}`, open: (name) => new IndexedDbDedupStore(name) },
];

const track = <T extends DedupStore>(store: T): T => res.track(store, (s) => s.close?.());
const isClosedError = (err: unknown) => isOrdoError(err, 'ERR_CLOSED');

for (const kind of KINDS) {
  describe(`DedupStore contract: ${kind.name}`, () => {
    const open = async () => track(kind.open(await kind.newPlace()));
    // A memory store keeps nothing across handles, nor a producer id: those cases are not defined for it.
    const persistentIt = kind.isPersistent ? it : () => undefined;

    it('a key is seen once committed, and only that key', async () => {
      const store = await open();
      expect(await store.seen('b1:jobs:1')).toBe(false);
      await store.commit('b1:jobs:1');
      await store.commit('b1:jobs:1'); // committing again is harmless
      expect([await store.seen('b1:jobs:1'), await store.seen('b1:jobs:2')]).toEqual([true, false]);
    });

    it('forget removes a key and leaves the others; committing it again brings it back', async () => {
      const store = await open();
      const long = `b1:${'q'.repeat(280)}:9`;
      for (const key of ['b1:jobs:1', 'b1:jobs:2', long]) await store.commit(key);
      await store.forget!('b1:jobs:1');
      await store.forget!(long);
      expect([await store.seen('b1:jobs:1'), await store.seen(long), await store.seen('b1:jobs:2')]).toEqual([false, false, true]);
      await store.commit('b1:jobs:1');
      expect(await store.seen('b1:jobs:1')).toBe(true);
    });

    persistentIt('keeps one producer id per store, different from another store\'s', async () => {
      const store = await open();
      const id = await store.producerId!();
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(await store.producerId!()).toBe(id);
      expect(await (await open()).producerId!()).not.toBe(id);
    });

    persistentIt('keeps keys, forgets and the producer id across close and reopen; rejects use after close', async () => {
      const place = await kind.newPlace();
      const first = track(kind.open(place));
      const id = await first.producerId!();
      for (const key of ['b1:jobs:1', 'b1:jobs:2']) await first.commit(key);
      await first.forget!('b1:jobs:2');
      await first.close!();
      await expect(Promise.resolve().then(() => first.commit('k'))).rejects.toSatisfy(isClosedError);
      await expect(Promise.resolve().then(() => first.seen('k'))).rejects.toSatisfy(isClosedError);
      const second = track(kind.open(place));
      expect(await second.producerId!()).toBe(id);
      expect([await second.seen('b1:jobs:1'), await second.seen('b1:jobs:2')]).toEqual([true, false]);
    });

    persistentIt('two handles on one place see each other\'s commits and share the producer id', async () => {
      const place = await kind.newPlace();
      const [a, b] = [track(kind.open(place)), track(kind.open(place))];
      await a.commit('b1:jobs:1');
      expect(await b.seen('b1:jobs:1')).toBe(true);
      await b.commit('b1:jobs:2');
      expect(await a.seen('b1:jobs:2')).toBe(true);
      expect(await b.producerId!()).toBe(await a.producerId!());
    });
  });
}

describe('newProducerId and MemoryDedupStore\'s bound', () => {
  it('newProducerId gives 32 hex characters, different every time', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newProducerId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('MemoryDedupStore drops the oldest commit beyond maxKeys, and rejects a bad maxKeys', () => {
    const store = new MemoryDedupStore({ maxKeys: 3 });
    for (const key of ['a', 'b', 'c', 'd']) store.commit(key);
    expect([store.size, ...['a', 'b', 'c', 'd'].map((k) => store.seen(k))]).toEqual([3, false, true, true, true]);
    for (const maxKeys of [0, -1, 1.5, Number.NaN]) {
      expect(() => new MemoryDedupStore({ maxKeys })).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
    }
  });
});

describe('SqliteDedupStore: runOnce, shared files, age limit', () => {
  /** A store whose application created a table `app(v)` through `database` at startup. */
  async function withApp(path?: string, options?: SqliteDedupStoreOptions) {
    const store = track(new SqliteDedupStore(path ?? await sqlitePlace(), options));
    store.database.exec('CREATE TABLE IF NOT EXISTS app (v TEXT NOT NULL)');
    const select = store.database.prepare('SELECT v FROM app ORDER BY rowid').pluck();
    return { store, rows: () => select.all() };
  }
  const insert = (db: unknown, v: string) => (db as Database.Database).prepare('INSERT INTO app (v) VALUES (?)').run(v);
  const tick = () => new Promise((resolve) => setImmediate(resolve));

  it('runs fn once per key, inside the transaction that records it, and keeps both across reopen', async () => {
    const path = await sqlitePlace();
    const { store, rows } = await withApp(path);
    const inTransaction: boolean[] = [];
    const fn = (db: unknown) => { inTransaction.push((db as Database.Database).inTransaction); insert(db, 'x'); };
    expect([await store.runOnce('k1', fn), await store.runOnce('k1', fn), await store.seen('k1')]).toEqual([true, false, true]);
    await store.commit('k2');
    expect(await store.runOnce('k2', fn)).toBe(false);
    expect([inTransaction, rows()]).toEqual([[true], ['x']]);
    await store.close();
    const reopened = await withApp(path);
    expect(reopened.rows()).toEqual(['x']);
    expect(await reopened.store.runOnce('k1', () => { throw new Error('must not run'); })).toBe(false);
  });

  it('rolls back fn\'s writes and the key when fn throws or rejects, and rethrows', async () => {
    const { store, rows } = await withApp();
    const boom = new Error('handler failed');
    await expect(store.runOnce('k', (db) => { insert(db, 'sync'); throw boom; })).rejects.toBe(boom);
    await expect(store.runOnce('k', async (db) => { insert(db, 'async'); await tick(); throw boom; })).rejects.toBe(boom);
    expect([rows(), await store.seen('k'), store.database.inTransaction]).toEqual([[], false, false]);
    expect(await store.runOnce('k', (db) => insert(db, 'third'))).toBe(true);
    expect(rows()).toEqual(['third']);
  });

  it('serializes concurrent runOnce calls with async fns', async () => {
    const { store, rows } = await withApp();
    let [running, mostRunning] = [0, 0];
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.runOnce(`k${i % 10}`, async (db) => {
      mostRunning = Math.max(mostRunning, ++running);
      await tick();
      insert(db, `v${i}`);
      await tick();
      running--;
    })));
    expect(mostRunning).toBe(1);
    expect(results).toEqual([...Array(10).fill(true), ...Array(10).fill(false)]);
    expect(rows()).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`));
  });

  it('runs commit and seen after a running runOnce, never inside its transaction', async () => {
    const { store, rows } = await withApp();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const order: string[] = [];
    const failing = store.runOnce('k1', async (db) => { insert(db, 'rolled back'); await gate; throw new Error('no'); });
    const others = [store.commit('k2').then(() => order.push('commit')), store.seen('k1').then((seen) => order.push(`seen ${seen}`))];
    await tick();
    order.push('release');
    release();
    await expect(failing).rejects.toThrow('no');
    await Promise.all(others);
    expect([order, await store.seen('k2'), rows()]).toEqual([['release', 'commit', 'seen false'], true, []]);
  });

  it('two stores on one file, in WAL with synchronous=FULL: a key recorded by one is not run by the other', async () => {
    const path = await sqlitePlace();
    const [a, b] = [await withApp(path), await withApp(path)];
    expect(await a.store.runOnce('k', (db) => insert(db, 'a'))).toBe(true);
    expect(await b.store.runOnce('k', (db) => insert(db, 'b'))).toBe(false);
    expect(b.rows()).toEqual(['a']);
    expect([b.store.database.pragma('journal_mode', { simple: true }), b.store.database.pragma('synchronous', { simple: true })]).toEqual(['wal', 2]);
  });

  it('holds the write lock from the start of runOnce, so no other connection can record the key meanwhile', async () => {
    const { store } = await withApp();
    const other = res.track(new Database(store.path, { timeout: 0 }), (db) => db.close());
    let release!: () => void;
    const running = store.runOnce('k', () => new Promise<void>((resolve) => { release = resolve; }));
    await tick();
    try {
      expect(() => other.prepare('INSERT INTO ordo_dedup (key, at) VALUES (?, ?)').run('k', 0)).toThrow(/locked|busy/i);
    } finally {
      release(); // a failed expectation must not leave the store's queue stuck behind fn
    }
    expect(await running).toBe(true);
  });

  it('deletes forgotten keys from the file in one batch, soon after; a later runOnce records the key again', async () => {
    const { store } = await withApp();
    for (const key of ['k1', 'k2', 'k3', 'k4']) await store.commit(key);
    const other = res.track(new Database(store.path, { readonly: true }), (db) => db.close());
    const count = () => other.prepare('SELECT count(*) FROM ordo_dedup').pluck().get();
    for (const key of ['k1', 'k2', 'k3']) store.forget(key);
    expect([await store.seen('k1'), count()]).toEqual([false, 4]); // the rows wait for the batch
    expect(await store.runOnce('k3', () => undefined)).toBe(true);
    await waitFor(() => count() === 2);
    expect([await store.seen('k3'), await store.seen('k4')]).toEqual([true, true]);
  });

  it('a write waits for another connection\'s write lock without stopping the event loop, then ERR_TIMEOUT', async () => {
    const path = await sqlitePlace();
    const a = track(new SqliteDedupStore(path));
    const b = track(new SqliteDedupStore(path, { busyTimeoutMs: 2000 }));
    const hurried = track(new SqliteDedupStore(path, { busyTimeoutMs: 50 }));
    let release!: () => void;
    const handlerDone = new Promise<void>((resolve) => { release = resolve; });
    const holding = a.runOnce('a:1', () => handlerDone); // holds the file's write lock while its handler awaits
    await new Promise((r) => setTimeout(r, 20));
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    const waiting = b.commit('b:1');
    await expect(hurried.commit('h:1')).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
    await new Promise((r) => setTimeout(r, 150));
    expect(await hurried.seen('b:1')).toBe(false); // (b's own reads queue behind its waiting commit)
    release();
    await Promise.all([holding, waiting]);
    clearInterval(ticker);
    expect(ticks).toBeGreaterThan(5); // a synchronous busy wait would have frozen the timer
    expect([await b.seen('a:1'), await a.seen('b:1')]).toEqual([true, true]);
  });

  it('drops keys older than maxAgeMs when opened', async () => {
    const path = await sqlitePlace();
    const { store } = await withApp(path);
    await store.commit('fresh');
    const day = 24 * 60 * 60 * 1000;
    store.database.prepare('INSERT INTO ordo_dedup (key, at) VALUES (?, ?), (?, ?)').run('old', Date.now() - 8 * day, 'young', Date.now() - 2 * day);
    await store.close();
    const week = (await withApp(path)).store;
    expect([await week.seen('old'), await week.seen('young'), await week.seen('fresh')]).toEqual([false, true, true]);
    await week.close();
    const oneDay = (await withApp(path, { maxAgeMs: day })).store;
    expect([await oneDay.seen('young'), await oneDay.seen('fresh')]).toEqual([false, true]);
  });

  it('rejects bad options and unopenable paths with ERR_BAD_CONFIG', async () => {
    const dir = join(await sqlitePlace(), '..');
    for (const create of [
      () => new SqliteDedupStore(join(dir, 'a.db'), { maxAgeMs: 0 }),
      () => new SqliteDedupStore(join(dir, 'b.db'), { busyTimeoutMs: -1 }),
      () => new SqliteDedupStore(join(dir, 'missing', 'c.db')),
    ]) expect(create).toThrow(expect.objectContaining({ code: 'ERR_BAD_CONFIG' }));
  });
});
