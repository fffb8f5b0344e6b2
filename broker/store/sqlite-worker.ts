/**
 * The thread that owns the SQLite file of a SqliteStore, so that disk waits
 * (an fsync takes 0.1 to 0.3 ms on this class of disk) and the statements of
 * busy traffic stay off the broker's event loop. (Small commits while this
 * thread is idle run on the broker's own connection: inline-commits.ts.)
 *
 * Requests run one at a time, in arrival order: that order is the store's
 * order (a read sees every commit sent before it). Each commit request is
 * one transaction, however many batches it carries. Only a backup runs
 * across requests (it copies in steps); close waits for it.
 */
import { parentPort } from 'node:worker_threads';
import { isOrdoError, type ErrorCode } from '../errors/index.js';
import { applyMigrations } from './migrations.js';
import { decodeBatches } from './op-codec.js';
import { openDatabase } from './sqlite-open.js';
import { SqliteFile } from './sqlite-file.js';
import type { Durability, RecoveredState } from './store.js';
import { describe, StoreFault, type CommitResult, type WorkerReply, type WorkerRequest } from './worker-protocol.js';

/** Opens (creating or migrating) the file, or an in-memory database when `file` is null, and reads what it holds. */
function openFile(file: string | null, durability: Durability): { store: SqliteFile; state: RecoveredState } {
  const name = file ?? ':memory:';
  const db = openDatabase(file, durability, applyMigrations);
  try {
    const store = new SqliteFile(db, name, file !== null && durability === 'fsync');
    return { store, state: store.recover() };
  } catch (err) {
    db.close();
    throw new StoreFault('ERR_INTERNAL', `store ${name}: ${describe(err)}`);
  }
}

let current: SqliteFile | null = null;

/** Runs one request; a returned promise (backup, close during a backup) is awaited before replying. */
function handle(req: WorkerRequest): unknown {
  if (req.kind === 'open') {
    if (current !== null) throw new StoreFault('ERR_INTERNAL', `store ${current.file} is already open`);
    const opened = openFile(req.file, req.durability);
    current = opened.store;
    return opened.state;
  }
  if (current === null) {
    if (req.kind === 'close') return undefined;
    throw new StoreFault('ERR_INTERNAL', 'store is not open');
  }
  switch (req.kind) {
    case 'commit': return current.commit(decodeBatches(new Uint8Array(req.bytes, 0, req.length)), req.sync) satisfies CommitResult;
    case 'getMessages': return current.getMessages(req.ids);
    case 'getRetained': return current.getRetained(req.patterns);
    case 'replay': return current.replay(req.topic, req.from, req.limit);
    case 'compact': return current.compact(req.retention, req.now);
    case 'topics': return current.topics(req.prefix, req.limit);
    case 'checkpoint': return current.checkpoint();
    case 'backup': return current.backup(req.path).then(() => undefined);
    case 'recover': return current.recover();
    case 'close': {
      const closing = current.close();
      current = null;
      return closing;
    }
  }
}

function codeOf(err: unknown): ErrorCode {
  return err instanceof StoreFault || isOrdoError(err) ? err.code : 'ERR_INTERNAL';
}

const port = parentPort;
if (port === null) throw new Error('sqlite-worker runs only as a worker thread (started by SqliteStore)');
port.on('message', (req: WorkerRequest) => {
  const fail = (err: unknown) =>
    port.postMessage({ id: req.id, ok: false, code: codeOf(err), message: describe(err) } satisfies WorkerReply);
  const succeed = (value: unknown) => port.postMessage({ id: req.id, ok: true, value } satisfies WorkerReply);
  try {
    const value = handle(req);
    if (value instanceof Promise) value.then(succeed, fail);
    else succeed(value);
  } catch (err) {
    fail(err);
  }
});
