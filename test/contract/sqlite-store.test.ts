/**
 * SqliteStore: the contract suite at each durability, then what only the
 * SQLite store promises (group commit, crash safety, schema versions, open
 * errors). The store runs its worker from dist/: `npm run build` first
 * (`npm test` does it).
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { isOrdoError } from '../../broker/errors/index.js';
import { MAX_INLINE_BYTES, MAX_INLINE_OPS } from '../../broker/store/inline-commits.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../broker/store/migrations.js';
import { SqliteStore, STORE_FILE, type Durability, type Store, type StoreOp } from '../../broker/store/index.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';
import { storeContract } from './store.contract.js';

const res = useResources();
const CRASH_WRITER = fileURLToPath(new URL('../helpers/store-crash-writer.mjs', import.meta.url));

// The worker and the crash writer run the compiled store: a stale dist/ would test old code.
beforeAll(() => {
  for (const name of ['sqlite-worker', 'sqlite-file', 'sqlite-security', 'sqlite-open', 'inline-commits', 'fold-deliveries', 'worker-protocol', 'op-codec', 'migrations', 'sqlite-store', 'index']) {
    const source = fileURLToPath(new URL(`../../broker/store/${name}.ts`, import.meta.url));
    const built = fileURLToPath(new URL(`../../dist/broker/store/${name}.js`, import.meta.url));
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(source).mtimeMs) {
      throw new Error(`${built} is missing or older than its source: run \`npm run build\` first`);
    }
  }
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ordo-store-'));
  res.defer(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A SqliteStore on `dir`, closed after the test; not opened. */
function sqliteStore(dir: string, durability: Durability = 'fsync'): SqliteStore {
  return res.track(new SqliteStore({ dataDir: dir, durability }), (s) => s.close());
}

/** An opened store on a fresh temp dir. */
async function openedStore(durability: Durability = 'fsync'): Promise<{ store: SqliteStore; dir: string }> {
  const dir = await tempDir();
  const store = sqliteStore(dir, durability);
  await store.open();
  return { store, dir };
}

const payload = new Uint8Array(128).fill(7);

/** Message `id` on topic `t` with an entry in queue `q` (which must exist). */
function publish(id: number, queue = 'q'): StoreOp[] {
  return [
    { op: 'putMessage', message: { id, topic: 't', payload, headers: null, replyTo: null, publishedAt: 1_000 + id, expiresAt: null, priority: 4 } },
    { op: 'addEntry', entry: { queue, messageId: id, priority: 4, availableAt: 0, expiresAt: null, deliveries: 0 } },
  ];
}

/** Publishes of ids from..from+n-1 to `queue`: more ops than an inline commit takes (MAX_INLINE_OPS), so they go through the worker. */
function many(from: number, n: number, queue = 'q'): StoreOp[] {
  const ops = Array.from({ length: n }, (_, i) => publish(from + i, queue)).flat();
  expect(ops.length).toBeGreaterThan(MAX_INLINE_OPS);
  return ops;
}

const putQueue = (name: string): StoreOp => ({ op: 'putQueue', queue: { name, settings: {}, createdAt: 1 } });

/** The error `promise` rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err, 'expected a rejection').toBeInstanceOf(Error);
  return err as Error & { code?: string };
}

for (const durability of ['fsync', 'os', 'memory'] as const) {
  storeContract(`SqliteStore (${durability})`, async () => {
    const dir = await mkdtemp(join(tmpdir(), `ordo-contract-${durability}-`));
    let current: Store = new SqliteStore({ dataDir: dir, durability });
    return {
      store: current,
      persistent: durability !== 'memory',
      recover: (store) => (store as SqliteStore).recover(),
      reopen: async () => {
        await current.close();
        current = new SqliteStore({ dataDir: dir, durability });
        return current;
      },
      cleanup: async () => {
        try {
          await current.close();
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    };
  });
}

describe('SqliteStore inline commits (small groups on the caller\'s thread while the worker is idle)', () => {
  it('the two connections see each other\'s queues: created on one, used on the other, both ways', async () => {
    const { store } = await openedStore();
    await store.commit([putQueue('a')]);
    expect(store.inlineCommits).toBe(1);
    await store.commit(many(1, 20, 'a'));
    expect(store.inlineCommits).toBe(1);
    await store.commit([putQueue('b'), ...many(21, 20, 'a')]);
    await store.commit(publish(41, 'b'));
    expect(store.inlineCommits).toBe(2);
    await store.commit([{ op: 'deleteQueue', name: 'a' }]);
    expect(isOrdoError(await rejection(store.commit(many(42, 20, 'a'))), 'ERR_NOT_FOUND')).toBe(true);
    const state = await store.recover();
    expect(state.queues.map((q) => q.name)).toEqual(['b']);
    expect(state.entries.map((e) => e.messageId)).toEqual([41]);
    expect(state.nextMessageId).toBe(42);
  });

  it('a file locked by another connection sends the small commit to the worker, which waits for the lock', async () => {
    const { store, dir } = await openedStore();
    await store.commit([putQueue('q')]);
    const other = new Database(join(dir, STORE_FILE));
    res.defer(() => other.close());
    other.exec('BEGIN IMMEDIATE');
    let isDone = false;
    const committed = store.commit(publish(1)).then(() => { isDone = true; });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(isDone).toBe(false);
    other.exec('COMMIT');
    await committed;
    expect(store.inlineCommits).toBe(1);
    expect((await store.recover()).entries.map((e) => e.messageId)).toEqual([1]);
  });

  it('a group of few ops but large payloads goes to the worker (the event loop never writes them)', async () => {
    const { store } = await openedStore();
    await store.commit([putQueue('q')]);
    const big: StoreOp[] = publish(1);
    big[0] = { op: 'putMessage', message: { id: 1, topic: 't', payload: new Uint8Array(MAX_INLINE_BYTES), headers: null, replyTo: null, publishedAt: 1, expiresAt: null, priority: 0 } };
    await store.commit(big);
    expect(store.inlineCommits).toBe(1);
    expect((await store.getMessages([1]))[0].payload.byteLength).toBe(MAX_INLINE_BYTES);
  });

  it('an in-memory store commits everything in its worker (its database is private to one connection)', async () => {
    const { store } = await openedStore('memory');
    await store.commit([putQueue('q')]);
    await store.commit(publish(1));
    expect(store.inlineCommits).toBe(0);
    expect((await store.recover()).entries).toHaveLength(1);
  });
});

describe('SqliteStore group commit', () => {
  it('batches of one turn share transactions, and settle in call order', async () => {
    const { store } = await openedStore();
    await store.commit([putQueue('q')]);
    const settled: number[] = [];
    const commits = Array.from({ length: 100 }, (_, i) => store.commit(publish(i + 1)).then((info) => {
      settled.push(i);
      return info;
    }));
    const infos = await Promise.all(commits);
    expect(Math.max(...infos.map((i) => i.batches))).toBeGreaterThan(1);
    for (const info of infos) expect(info.ops).toBe(2 * info.batches);
    expect(settled).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect((await store.getMessages(infos.map((_, i) => i + 1))).length).toBe(100);
  });

  it('a failing batch is rejected alone: the batches sharing its transaction commit, and the store stays usable', async () => {
    const { store } = await openedStore();
    await store.commit([putQueue('q')]);
    const [a, bad, c] = await Promise.allSettled([
      store.commit(publish(1)),
      store.commit(publish(2, 'no-such-queue')),
      store.commit(publish(3)),
    ]);
    expect(a).toMatchObject({ status: 'fulfilled', value: { batches: 2, ops: 4 } });
    expect(c).toMatchObject({ status: 'fulfilled', value: { batches: 2, ops: 4 } });
    expect(bad.status).toBe('rejected');
    const reason = (bad as PromiseRejectedResult).reason as unknown;
    expect(isOrdoError(reason, 'ERR_NOT_FOUND')).toBe(true);
    // The failing batch's putMessage, before its bad op, was rolled back with it.
    expect((await store.getMessages([1, 2, 3])).map((m) => m.id)).toEqual([1, 3]);
    await store.commit(publish(4));
    expect((await store.getMessages([4])).map((m) => m.id)).toEqual([4]);
  });

  it('a batch that is not StoreOps is refused at once (ERR_BAD_REQUEST) without touching its group', async () => {
    const { store } = await openedStore();
    const results = await Promise.allSettled([
      store.commit([putQueue('q'), ...publish(1)]),
      store.commit([{ op: 'bogus' } as unknown as StoreOp]),
      store.commit([...publish(2), { op: 'deleteEntry', queue: 7 } as unknown as StoreOp]),
      store.commit(publish(3)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    for (const r of results.slice(1, 3)) expect(isOrdoError((r as PromiseRejectedResult).reason, 'ERR_BAD_REQUEST')).toBe(true);
    expect((await store.recover()).entries.map((e) => e.messageId)).toEqual([1, 3]);
  });

  it('what a failed batch did is gone for the batches after it in the same transaction', async () => {
    const { store } = await openedStore();
    const [madeQueue, usedIt] = await Promise.allSettled([
      store.commit([putQueue('ghost'), ...publish(1, 'no-such-queue')]),
      store.commit(publish(2, 'ghost')),
    ]);
    expect(madeQueue.status).toBe('rejected');
    expect(usedIt.status).toBe('rejected');
    const state = await store.recover();
    expect(state.queues).toEqual([]);
    expect(state.entries).toEqual([]);
  });

  it('reads see the commits called before them, settled or not', async () => {
    const { store } = await openedStore();
    void store.commit([putQueue('q')]);
    void store.commit(publish(1));
    void store.commit([{ op: 'setRetained', topic: 't', messageId: 1 }]);
    expect((await store.getMessages([1])).map((m) => m.id)).toEqual([1]);
    expect((await store.getRetained(['#'])).map((m) => m.id)).toEqual([1]);
    expect((await store.replay('t', { id: 0 }, 10)).map((m) => m.id)).toEqual([1]);
  });

  it('close() lets every commit called before it finish, and they are there after reopening', async () => {
    const dir = await tempDir();
    const store = sqliteStore(dir);
    await store.open();
    await store.commit([putQueue('q')]);
    const commits = Array.from({ length: 50 }, (_, i) => store.commit(publish(i + 1)));
    await store.close();
    await Promise.all(commits);
    expect(isOrdoError(await rejection(store.commit(publish(99))), 'ERR_SHUTTING_DOWN')).toBe(true);
    const state = await sqliteStore(dir).open();
    expect(state.entries.map((e) => e.messageId)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(state.nextMessageId).toBe(51);
  });
});

describe('SqliteStore files', () => {
  it('fsync and os keep the store in <dataDir>/ordo.db in WAL mode; memory writes no file', async () => {
    for (const durability of ['fsync', 'os'] as const) {
      const { store, dir } = await openedStore(durability);
      await store.commit([putQueue('q')]);
      expect(existsSync(join(dir, STORE_FILE))).toBe(true);
      expect(existsSync(join(dir, `${STORE_FILE}-wal`))).toBe(true);
    }
    const { store, dir } = await openedStore('memory');
    await store.commit([putQueue('q')]);
    expect(existsSync(join(dir, STORE_FILE))).toBe(false);
  });

  it('ids are never reused: nextMessageId survives compaction of the newest messages', async () => {
    const dir = await tempDir();
    const store = sqliteStore(dir);
    await store.open();
    await store.commit([putQueue('q'), ...publish(1), ...publish(2)]);
    await store.commit([{ op: 'purgeQueue', queue: 'q' }]);
    expect(await store.compact({ maxMessages: 0, maxBytes: 0, maxAgeMs: 0 }, 10_000)).toBe(2);
    await store.close();
    expect((await sqliteStore(dir).open()).nextMessageId).toBe(3);
  });

  it('backup() writes a consistent copy that opens as a store', async () => {
    const { store } = await openedStore();
    await store.commit([putQueue('q'), ...publish(1)]);
    const copyDir = await tempDir();
    await store.backup(join(copyDir, STORE_FILE));
    const state = await sqliteStore(copyDir).open();
    expect(state.entries.map((e) => e.messageId)).toEqual([1]);
  });

  it('the migrations are numbered 1, 2, … in order', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('a file written by a newer schema version is refused with ERR_BAD_CONFIG naming the file', async () => {
    const dir = await tempDir();
    const store = sqliteStore(dir);
    await store.open();
    await store.close(); // a clean close checkpoints the WAL: the main file's header is the truth
    const file = join(dir, STORE_FILE);
    // user_version is the big-endian uint32 at offset 60 of the file header (sqlite.org/fileformat2.html).
    const handle = await open(file, 'r+');
    const version = Buffer.alloc(4);
    version.writeUInt32BE(SCHEMA_VERSION + 1);
    await handle.write(version, 0, 4, 60);
    await handle.close();
    const err = await rejection(sqliteStore(dir).open());
    expect(isOrdoError(err, 'ERR_BAD_CONFIG')).toBe(true);
    expect(err.message).toContain(file);
    expect(err.message).toContain(`schema version ${SCHEMA_VERSION + 1}`);
  });

  it('a version 2 file (before message order) is upgraded in place: its messages read back without order, new ones keep theirs', async () => {
    const dir = await tempDir();
    const file = join(dir, STORE_FILE);
    const old = new Database(file);
    for (const m of MIGRATIONS.filter((m) => m.version <= 2)) old.exec(m.sql);
    old.pragma('user_version = 2');
    old.exec(`
      INSERT INTO queues (name, settings, created_at) VALUES ('q', '{}', 1);
      INSERT INTO messages (id, topic, payload, headers, reply_to, published_at, expires_at, priority) VALUES (1, 't', x'c0', '{"k":"v"}', 'r', 1001, NULL, 4);
      INSERT INTO entries (queue, message_id, priority, available_at, expires_at, deliveries) VALUES ('q', 1, 4, 0, NULL, 0);
      INSERT INTO retained (topic, message_id) VALUES ('t', 1);
    `);
    old.close();

    const store = sqliteStore(dir);
    const state = await store.open();
    expect(state.entries.map((e) => e.messageId)).toEqual([1]);
    const reads = [await store.getMessages([1]), await store.getRetained(['t']), await store.replay('t', { id: 0 }, 10), await store.replay('t', { time: 0 }, 10)];
    for (const [m] of reads) {
      expect(m).toMatchObject({ id: 1, topic: 't', headers: { k: 'v' }, replyTo: 'r', publishedAt: 1001, expiresAt: null, priority: 4 });
      expect('order' in m).toBe(false);
    }
    const order = { dep: 1, scope: 'orders' };
    await store.commit([{ op: 'putMessage', message: { id: 2, topic: 't', payload, headers: null, replyTo: null, publishedAt: 1002, expiresAt: null, priority: 4, order } }]);
    await store.close();

    const reopened = sqliteStore(dir);
    await reopened.open();
    const [first, second] = await reopened.getMessages([1, 2]);
    expect('order' in first).toBe(false);
    expect(second.order).toStrictEqual(order);
    await reopened.close();
    const check = new Database(file, { readonly: true });
    res.defer(() => check.close());
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
  });

  it('a version 3 file (before security records) is upgraded in place: what it held stays, users, rules and settings start empty and persist', async () => {
    const dir = await tempDir();
    const file = join(dir, STORE_FILE);
    const old = new Database(file);
    for (const m of MIGRATIONS.filter((m) => m.version <= 3)) old.exec(m.sql);
    old.pragma('user_version = 3');
    old.exec(`
      INSERT INTO queues (name, settings, created_at) VALUES ('q', '{"maxLength":5}', 1);
      INSERT INTO messages (id, topic, payload, headers, reply_to, published_at, expires_at, priority, order_dep, order_scope) VALUES (1, 't', x'c0', NULL, NULL, 1001, NULL, 4, 0, NULL);
      INSERT INTO entries (queue, message_id, priority, available_at, expires_at, deliveries) VALUES ('q', 1, 4, 0, NULL, 2);
      INSERT INTO producer_seqs (producer, seq, message_id, digest, at) VALUES ('p', 1, 1, x'01', 1001);
    `);
    const instance = old.prepare("SELECT value FROM meta WHERE key = 'instance'").pluck().get() as number;
    old.close();

    const store = sqliteStore(dir);
    const state = await store.open();
    expect(state.queues).toEqual([{ name: 'q', settings: { maxLength: 5 }, createdAt: 1 }]);
    expect(state.entries.map((e) => [e.queue, e.messageId, e.deliveries])).toEqual([['q', 1, 2]]);
    expect(state.producerSeqs.map((r) => [r.producer, r.seq])).toEqual([['p', 1]]);
    expect(state.instance).toBe(instance.toString(16).padStart(14, '0'));
    expect((await store.getMessages([1]))[0].order).toStrictEqual({ dep: 0 });
    expect([state.users, state.aclRules, state.settings]).toEqual([[], [], {}]);
    const user = { name: 'admin', passwordHash: 'scrypt$16384$8$1$s$k', roles: ['admin'], createdAt: 5 };
    const rule = { id: 1, subject: 'role:ops', action: 'admin', pattern: '#', createdAt: 6 };
    await store.commit([{ op: 'putUser', user }, { op: 'putAclRule', rule }, { op: 'putSetting', key: 'tokenSecret', value: 's' }]);
    await store.close();

    const reopened = await sqliteStore(dir).open();
    expect([reopened.users, reopened.aclRules, reopened.settings]).toEqual([[user], [rule], { tokenSecret: 's' }]);
    expect(reopened.entries.map((e) => e.messageId)).toEqual([1]);
    const check = new Database(file, { readonly: true });
    res.defer(() => check.close());
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
  });
});

describe('SqliteStore open errors', () => {
  async function expectOpenRefused(dataDir: string): Promise<void> {
    const store = sqliteStore(dataDir);
    const err = await rejection(store.open());
    expect(isOrdoError(err, 'ERR_BAD_CONFIG')).toBe(true);
    expect(err.message).toContain(join(dataDir, STORE_FILE));
    // The store is unusable, says why, and still closes cleanly.
    expect((await rejection(store.commit([]))).message).toBe(err.message);
    await store.close();
  }

  it('a missing data directory', async () => {
    await expectOpenRefused(join(await tempDir(), 'missing'));
  });

  it('a data directory that is a file', async () => {
    const path = join(await tempDir(), 'file');
    await writeFile(path, 'not a directory');
    await expectOpenRefused(path);
  });

  // Root ignores permission bits, so only a normal user can see this refusal.
  it.skipIf(process.getuid?.() === 0)('a read-only data directory', async () => {
    const dir = await tempDir();
    await chmod(dir, 0o555);
    res.defer(() => chmod(dir, 0o755));
    await expectOpenRefused(dir);
  });

  it('a file that is not a database', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, STORE_FILE), 'x'.repeat(4096));
    await expectOpenRefused(dir);
  });

  it('a worker that dies rejects what was pending and what comes later, naming the store', async () => {
    const { store, dir } = await openedStore();
    await store.commit([putQueue('q')]);
    const pending = store.commit(many(1, 20));
    // Reaching into the store to kill its thread: the one way to make it die on cue.
    await (store as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    for (const err of [await rejection(pending), await rejection(store.getMessages([1]))]) {
      expect(isOrdoError(err, 'ERR_INTERNAL')).toBe(true);
      expect(err.message).toContain(join(dir, STORE_FILE));
    }
  });
});

describe('SqliteStore crash safety', () => {
  it('every batch confirmed before a SIGKILL at a random moment is there after reopening', async () => {
    const dir = await tempDir();
    const child = spawn(process.execPath, [CRASH_WRITER, dir, 'fsync'], { stdio: ['ignore', 'pipe', 'pipe'] });
    res.defer(() => child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    const closed = once(child, 'close');
    const confirmed = (): number[] => stdout.split('\n').slice(1, -1).map(Number);

    const killAfter = 50 + Math.floor(Math.random() * 3_000);
    await waitFor(() => confirmed().length >= killAfter || child.exitCode !== null, { timeoutMs: 20_000 },
      `writer confirmed ${killAfter} batches; stderr: ${stderr}`);
    expect(child.exitCode, stderr).toBeNull();
    child.kill('SIGKILL');
    await closed; // every line the writer printed has been read

    const ids = confirmed();
    expect(ids.length).toBeGreaterThanOrEqual(killAfter);
    const store = sqliteStore(dir);
    const state = await store.open();
    const held = new Set(state.entries.filter((e) => e.queue === 'crash').map((e) => e.messageId));
    expect(ids.filter((id) => !held.has(id))).toEqual([]);
    expect((await store.getMessages(ids)).length).toBe(ids.length);
    expect(state.nextMessageId).toBeGreaterThan(Math.max(...ids));
    // Batches are atomic: no entry outlived the crash without its message.
    expect((await store.getMessages([...held])).length).toBe(held.size);
  });
});
