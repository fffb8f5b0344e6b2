/**
 * The SQLite store: the broker-side half, which owns ordering and group
 * commit, and talks to sqlite-worker.ts (which owns the file) by messages.
 *
 * Ordering: every request goes through one outbox, in call order, and the
 * worker runs what it receives in arrival order. A commit group is held in
 * the outbox while the previous group is still in the worker; a read queued
 * behind it waits too, so a read always sees the commits called before it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { OrdoError } from '../errors/index.js';
import { InlineCommits } from './inline-commits.js';
import { OpEncoder } from './op-codec.js';
import { describe, type CommitResult, type WorkerReply, type WorkerRequest } from './worker-protocol.js';
import type { CommitInfo, CommitOptions, Durability, RecoveredState, RetentionLimits, Store, StoredMessage, StoreOp, TopicRecord } from './store.js';

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * Directory of the store file `ordo.db` (and SQLite's `ordo.db-wal` and
   * `ordo.db-shm` beside it). It must exist: a mistyped path should fail
   * at start, not silently start an empty broker. Unused for `memory`.
   */
  readonly dataDir: string;
  /** `fsync`: WAL, synchronous=FULL. `os`: WAL, synchronous=NORMAL. `memory`: an in-memory database, no file. */
  readonly durability: Durability;
}

/** The file name of the store inside its data directory. */
export const STORE_FILE = 'ordo.db';

interface Waiter {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/** Batches waiting to be sent together as one transaction: encoded as they come, one waiter each. */
interface CommitGroup {
  readonly kind: 'commit';
  readonly encoder: OpEncoder;
  readonly waiters: Waiter[];
  /** Fsync the transaction (durability 'fsync'): true when any batch asked (CommitOptions.sync). */
  sync: boolean;
}

/** Anything but a commit: sent as is, answered to one waiter. */
interface Call {
  readonly kind: 'call';
  readonly request: DistributiveOmit<Exclude<WorkerRequest, { kind: 'commit' }>, 'id'>;
  readonly waiter: Waiter;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * A {@link Store} on SQLite (better-sqlite3), run in a worker thread; a
 * small commit made while the worker is idle and the event loop is not busy
 * runs on a second connection on the caller's thread instead (see
 * inline-commits.ts), in the same order.
 *
 * Group commit: batches given to commit() in one event-loop turn travel to
 * the worker as one message and commit in one transaction (one fsync). While
 * that transaction runs, later batches gather and go together as the next
 * one, so the busier the broker, the more batches share an fsync. A failing
 * transaction rejects every batch in it (ERR_INTERNAL) and the store stays
 * usable; a batch whose op fails (ERR_CONFLICT, ERR_NOT_FOUND: the rules of
 * memory-store.ts) is rolled back alone, and the others of its transaction
 * commit. Ops are encoded (copied) by commit() itself: the caller may reuse
 * `ops` and its buffers once commit() returns.
 */
export class SqliteStore implements Store {
  readonly durability: Durability;
  /** The store file, or null for `memory`. */
  readonly file: string | null;
  private worker: Worker | null = null;
  /** The broker thread's own connection, for small commits while the worker is idle (see inline-commits.ts). */
  private inline: InlineCommits | null = null;
  private readonly outbox: (CommitGroup | Call)[] = [];
  private readonly inWorker = new Map<number, CommitGroup | Call>();
  private nextRequestId = 1;
  private isCommitInWorker = false;
  /** Transactions committed on the broker's thread (inline-commits.ts): for tests and diagnostics. */
  inlineCommits = 0;
  private isPumpScheduled = false;
  /** Set once the worker died: every later call fails with it. */
  private failure: OrdoError | null = null;
  private closing: Promise<void> | null = null;

  constructor(options: SqliteStoreOptions) {
    this.durability = options.durability;
    this.file = options.durability === 'memory' ? null : join(options.dataDir, STORE_FILE);
  }

  open(): Promise<RecoveredState> {
    if (this.worker !== null || this.closing !== null) {
      return Promise.reject(internal(`store ${this.name}: open() may be called once, before close()`));
    }
    let worker: Worker;
    try {
      worker = new Worker(workerUrl());
    } catch (err) {
      return Promise.reject(new OrdoError('ERR_INTERNAL', `cannot start the store worker: ${describe(err)}`));
    }
    this.worker = worker;
    worker.on('message', (reply: WorkerReply) => this.onReply(reply));
    // Without these listeners a crash in the worker would be an uncaught 'error' in the broker.
    worker.on('error', (err) => this.fail(internal(`store worker for ${this.name} failed: ${describe(err)}`)));
    worker.on('exit', (code) => {
      this.fail(this.closing !== null ? this.closedError() : internal(`store worker for ${this.name} exited unexpectedly (code ${code})`));
    });
    worker.unref(); // referenced only while requests are out: an idle store does not hold the process open
    const opened = this.call({ kind: 'open', file: this.file, durability: this.durability }) as Promise<RecoveredState>;
    return opened.then((state) => {
      // Opened after the worker created and migrated the file.
      if (this.closing === null && this.failure === null) this.inline = InlineCommits.open(this.file, this.durability);
      return state;
    }, (err: unknown) => {
      // A store that did not open is unusable: later calls fail with the reason it did not.
      this.fail(err instanceof OrdoError ? err : internal(describe(err)));
      void worker.terminate();
      throw err;
    });
  }

  commit(ops: readonly StoreOp[], options?: CommitOptions): Promise<CommitInfo> {
    const refusal = this.refusal();
    if (refusal !== null) return Promise.reject(refusal);
    let group = this.outbox[this.outbox.length - 1];
    if (group?.kind !== 'commit') {
      group = { kind: 'commit', encoder: new OpEncoder(), waiters: [], sync: false };
      this.outbox.push(group);
    }
    try {
      // Encoding copies the ops now: the caller may reuse them once we return.
      group.encoder.add(ops);
    } catch (err) {
      if (group.waiters.length === 0) this.outbox.pop();
      return Promise.reject(new OrdoError('ERR_BAD_REQUEST', `batch not stored: ${describe(err)}`));
    }
    const { waiters } = group;
    if (options?.sync !== false) group.sync = true;
    this.schedulePump();
    return new Promise((resolve, reject) => {
      waiters.push({ resolve: resolve as (v: unknown) => void, reject });
    });
  }

  getMessages(ids: readonly number[]): Promise<StoredMessage[]> {
    return this.call({ kind: 'getMessages', ids }) as Promise<StoredMessage[]>;
  }

  getRetained(patterns: readonly string[]): Promise<StoredMessage[]> {
    return this.call({ kind: 'getRetained', patterns }) as Promise<StoredMessage[]>;
  }

  replay(topic: string, from: { readonly id: number } | { readonly time: number }, limit: number): Promise<StoredMessage[]> {
    return this.call({ kind: 'replay', topic, from, limit }) as Promise<StoredMessage[]>;
  }

  topics(prefix: string, limit: number): Promise<TopicRecord[]> {
    return this.call({ kind: 'topics', prefix, limit }) as Promise<TopicRecord[]>;
  }

  compact(retention: RetentionLimits, now: number): Promise<number> {
    return this.call({ kind: 'compact', retention, now }) as Promise<number>;
  }

  /** SQLite online backup to the file `path`; `memory` rejects with ERR_UNSUPPORTED, as MemoryStore does. */
  backup(path: string): Promise<void> {
    if (this.durability === 'memory') {
      return Promise.reject(new OrdoError('ERR_UNSUPPORTED',
        `backup to ${path}: a memory store keeps nothing durable to copy; back up a SQLite store (durability fsync or os)`));
    }
    return this.call({ kind: 'backup', path }) as Promise<void>;
  }

  /**
   * What open() would return if the store were reopened now, read in place
   * (after the commits called before it). For tests and diagnostics; the
   * only way to look at the queues of a `memory` store.
   */
  recover(): Promise<RecoveredState> {
    return this.call({ kind: 'recover' }) as Promise<RecoveredState>;
  }

  /** Waits for every commit and read called before it, closes the file and stops the worker. Idempotent. */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    const worker = this.worker;
    if (worker === null) {
      this.closing = Promise.resolve();
      return this.closing;
    }
    // Nothing is queued behind an inline commit: it ran to the end when it was made.
    this.inline?.close();
    this.inline = null;
    // Queued like any call, so it runs after everything already asked for.
    const closed = this.failure === null ? this.call({ kind: 'close' }, true) : Promise.resolve();
    const closing = closed
      .then(() => undefined, (err: unknown) => {
        // A store that failed (its open, its worker) has nothing left to close: only a close that failed on its own is news.
        if (this.failure === null) throw err;
      })
      .finally(() => worker.terminate());
    this.closing = closing;
    return closing;
  }

  private get name(): string {
    return this.file ?? 'an in-memory store';
  }

  private refusal(): OrdoError | null {
    if (this.failure !== null) return this.failure;
    if (this.closing !== null) return this.closedError();
    if (this.worker === null) return internal(`store ${this.name} is not open`);
    return null;
  }

  /** As MemoryStore says it: the broker is going away (retryable, for a client). */
  private closedError(): OrdoError {
    return new OrdoError('ERR_SHUTTING_DOWN', `store ${this.name} is closed`);
  }

  private call(request: Call['request'], isClosing = false): Promise<unknown> {
    const refusal = isClosing ? null : this.refusal();
    if (refusal !== null) return Promise.reject(refusal);
    return new Promise((resolve, reject) => {
      this.outbox.push({ kind: 'call', request, waiter: { resolve, reject } });
      this.schedulePump();
    });
  }

  /**
   * Waits for the end of the turn, so that every commit() of this turn is in
   * the group before it leaves (setImmediate runs after the I/O callbacks
   * of the turn, where most commits come from).
   */
  private schedulePump(): void {
    if (this.isPumpScheduled) return;
    this.isPumpScheduled = true;
    setImmediate(() => this.pump());
  }

  /** Sends from the front of the outbox until a commit group must wait for the one in the worker. */
  private pump(): void {
    this.isPumpScheduled = false;
    const worker = this.worker;
    if (worker === null || this.failure !== null) return;
    while (this.outbox.length > 0) {
      const next = this.outbox[0];
      if (next.kind === 'commit' && this.isCommitInWorker) break;
      this.outbox.shift();
      const id = this.nextRequestId++;
      if (next.kind === 'commit') {
        const { buffer, length } = next.encoder.finish();
        if (this.inWorker.size === 0 && this.inline?.accepts(next.encoder.opCount, length) && this.commitInline(next, new Uint8Array(buffer, 0, length))) continue;
        this.isCommitInWorker = true;
        worker.postMessage({ id, kind: 'commit', bytes: buffer, length, sync: next.sync } satisfies WorkerRequest, [buffer]);
      } else {
        try {
          worker.postMessage({ ...next.request, id });
        } catch (err) {
          // Arguments postMessage cannot clone (a function in `retention`, say): that call fails, not the broker.
          next.waiter.reject(new OrdoError('ERR_BAD_REQUEST', `store call ${next.request.kind}: ${describe(err)}`));
          continue;
        }
      }
      // The reply cannot arrive before this turn ends, so registering after the post is safe.
      if (this.inWorker.size === 0) worker.ref();
      this.inWorker.set(id, next);
    }
  }

  /**
   * Commits a group on the broker's thread (the worker is idle, so nothing
   * is ahead of it); false when the inline connection declined it (nothing
   * applied: the file was locked, or a batch failed) and the group must go
   * to the worker after all.
   */
  private commitInline(group: CommitGroup, bytes: Uint8Array): boolean {
    let result: CommitResult | undefined;
    try {
      result = this.inline!.commit(bytes, group.sync);
    } catch (err) {
      const failure = new OrdoError('ERR_INTERNAL', describe(err));
      for (const waiter of group.waiters) waiter.reject(failure);
      return true;
    }
    if (result === undefined) return false;
    this.inlineCommits++;
    settleGroup(group, result);
    if (this.inline!.takeCheckpointDue()) {
      this.call({ kind: 'checkpoint' }).catch(() => {
        // A checkpoint that could not run waits for the next one due; commits do not depend on it.
      });
    }
    return true;
  }

  private onReply(reply: WorkerReply): void {
    const sent = this.inWorker.get(reply.id);
    if (sent === undefined) return;
    this.inWorker.delete(reply.id);
    if (this.inWorker.size === 0) this.worker?.unref();
    if (sent.kind === 'call') {
      if (reply.ok) sent.waiter.resolve(reply.value);
      else sent.waiter.reject(new OrdoError(reply.code, reply.message));
      return;
    }
    this.isCommitInWorker = false;
    if (this.outbox.length > 0) this.schedulePump();
    if (!reply.ok) {
      const err = new OrdoError(reply.code, reply.message);
      for (const waiter of sent.waiters) waiter.reject(err);
      return;
    }
    settleGroup(sent, reply.value as CommitResult);
  }

  /** The store cannot go on: reject everything pending with `err`, and what comes later with the first failure. */
  private fail(err: OrdoError): void {
    this.failure ??= err;
    this.inline?.close();
    this.inline = null;
    const pending = [...this.inWorker.values(), ...this.outbox.splice(0)];
    this.inWorker.clear();
    for (const item of pending) {
      for (const waiter of item.kind === 'commit' ? item.waiters : [item.waiter]) waiter.reject(err);
    }
  }
}

/** Resolves the batches of a committed group, and rejects those of its batches that failed alone. */
function settleGroup(group: CommitGroup, result: CommitResult): void {
  // One value for every batch of the transaction: no allocation per batch.
  const info: CommitInfo = Object.freeze({ ops: result.ops, batches: result.batches, synced: result.synced });
  let failed = 0;
  group.waiters.forEach((waiter, index) => {
    const failure = result.failed[failed];
    if (failure?.index !== index) return waiter.resolve(info);
    failed += 1;
    waiter.reject(new OrdoError(failure.code, failure.message));
  });
}

/**
 * The worker's script. Compiled (dist/), it sits beside this file. Run from
 * TypeScript source (vitest), Node 20 cannot load a .ts worker, so the
 * compiled one from `npm run build` is used.
 */
function workerUrl(): URL {
  const sibling = new URL('./sqlite-worker.js', import.meta.url);
  if (import.meta.url.endsWith('.js')) return sibling;
  const compiled = new URL('../../dist/broker/store/sqlite-worker.js', import.meta.url);
  if (!existsSync(fileURLToPath(compiled))) {
    throw new Error(`${fileURLToPath(compiled)} is missing: run \`npm run build\` first`);
  }
  return compiled;
}

function internal(message: string): OrdoError {
  return new OrdoError('ERR_INTERNAL', message);
}
