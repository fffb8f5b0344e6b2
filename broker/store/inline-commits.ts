/**
 * Small commits on the broker's own thread, while it has little else to do.
 *
 * A publisher that awaits each confirm gets one transaction per message.
 * Through the worker that is three thread wake-ups per message (the socket,
 * the worker, the worker's reply); on a virtual machine a wake-up costs
 * about as much as the fsync itself. So a second connection to the same
 * file, on the broker's thread, commits a small group itself when the
 * worker is idle (nothing can be ahead of it) and the event loop is not
 * busy with other work. Everything else goes to the worker, as before.
 * Measured with one publisher awaiting each confirm (alternating runs of
 * both builds on the 2-core development machine): median 984 against 786
 * confirms/s, p50 round trip 0.79 against 0.97 ms.
 *
 * The price is that the event loop waits for that commit (0.1 to 0.3 ms of
 * fsync here). It is paid only while, in the last sample, the loop spent
 * less than MAX_OTHER_LOAD of its time on anything else (a busy broker keeps
 * its loop free) and less than MAX_INLINE_SHARE in inline commits (several
 * publishers do not keep it in fsync); a commit slower than SLOW_COMMIT_MS
 * (a disk in trouble) turns inline commits off for PAUSE_MS. A backup runs
 * in the worker, which is then never idle: no inline commit can restart it.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { decodeBatches } from './op-codec.js';
import { openDatabase } from './sqlite-open.js';
import { SqliteFile, StoreDeclined } from './sqlite-file.js';
import type { Durability } from './store.js';
import type { CommitResult } from './worker-protocol.js';

/** Most ops a group may have to commit inline: one-at-a-time publishing and its acks, not bursts. */
export const MAX_INLINE_OPS = 32;
/** Most encoded bytes a group may have to commit inline: a few small messages, never large payloads. */
export const MAX_INLINE_BYTES = 64 * 1024;
/** An inline commit slower than this turns them off for PAUSE_MS, ms (an fsync takes 0.1 to 0.3 ms here, a few ms at worst). */
const SLOW_COMMIT_MS = 10;
const PAUSE_MS = 1000;
/** How often the event loop's load is sampled, ms. */
const SAMPLE_MS = 100;
/** Inline commits only while the loop spent less than this share of the last sample on anything else… */
const MAX_OTHER_LOAD = 0.75;
/** …and less than this share in inline commits (beyond it, several publishers would keep the loop in fsync). */
const MAX_INLINE_SHARE = 0.5;
/**
 * The inline connection never checkpoints (that copies pages and fsyncs the
 * database file: milliseconds): after this many inline commits, or this
 * many bytes of them, the owner asks the worker for one. SQLite's own limit
 * is 1000 WAL pages (4 MiB); a small commit writes 2 to 4 pages.
 */
const CHECKPOINT_COMMITS = 250;
const CHECKPOINT_BYTES = 4 * 1024 * 1024;

/** The broker thread's connection and the policy of when to use it. */
export class InlineCommits {
  private pausedUntil = 0;
  /** Inline commits, and their encoded bytes, since the last checkpoint was asked for. */
  private commitsSinceCheckpoint = 0;
  private bytesSinceCheckpoint = 0;
  /** Time spent in inline commits since the last sample, ms (not "other work"). */
  private inlineMs = 0;
  private isLoopQuiet = true;
  private lastSample: EventLoopUtilization = performance.eventLoopUtilization();
  private readonly sampler: ReturnType<typeof setInterval>;

  private constructor(private readonly file: SqliteFile) {
    this.sampler = setInterval(() => this.sample(), SAMPLE_MS);
    this.sampler.unref();
  }

  /**
   * A connection to the store file the worker has opened (and migrated), or
   * null when there is none to open (an in-memory store is private to its
   * connection) or it cannot be opened: then every commit goes to the worker.
   */
  static open(file: string | null, durability: Durability): InlineCommits | null {
    if (file === null || durability === 'memory') return null;
    let db: ReturnType<typeof openDatabase> | undefined;
    try {
      // No busy wait: a lock held elsewhere sends the group to the worker instead of stalling the loop.
      db = openDatabase(file, durability, (d) => d.pragma('wal_autocheckpoint = 0'), 0);
      return new InlineCommits(new SqliteFile(db, file, durability === 'fsync'));
    } catch {
      db?.close();
      return null;
    }
  }

  /** Whether a group of `ops` ops and `bytes` encoded bytes should commit here now (the caller checks that the worker is idle). */
  accepts(ops: number, bytes: number): boolean {
    return ops <= MAX_INLINE_OPS && bytes <= MAX_INLINE_BYTES && this.isLoopQuiet && performance.now() >= this.pausedUntil;
  }

  /**
   * Commits the encoded group whole, or returns undefined with nothing
   * applied (the file was locked elsewhere, or a batch failed): the group
   * then goes to the worker, which waits for locks and rejects failing
   * batches alone.
   */
  commit(bytes: Uint8Array, sync: boolean): CommitResult | undefined {
    const startedAt = performance.now();
    try {
      const result = this.file.commitOrDecline(decodeBatches(bytes), sync);
      this.commitsSinceCheckpoint++;
      this.bytesSinceCheckpoint += bytes.byteLength;
      return result;
    } catch (err) {
      if (err instanceof StoreDeclined) return undefined;
      throw err;
    } finally {
      const tookMs = performance.now() - startedAt;
      this.inlineMs += tookMs;
      if (tookMs > SLOW_COMMIT_MS) this.pausedUntil = startedAt + tookMs + PAUSE_MS;
    }
  }

  /** True once CHECKPOINT_COMMITS inline commits or CHECKPOINT_BYTES of them were made since the last time it said so. */
  takeCheckpointDue(): boolean {
    if (this.commitsSinceCheckpoint < CHECKPOINT_COMMITS && this.bytesSinceCheckpoint < CHECKPOINT_BYTES) return false;
    this.commitsSinceCheckpoint = 0;
    this.bytesSinceCheckpoint = 0;
    return true;
  }

  close(): void {
    clearInterval(this.sampler);
    void this.file.close();
  }

  /** The loop's load over the last sample, not counting inline commits. */
  private sample(): void {
    const now = performance.eventLoopUtilization();
    const last = performance.eventLoopUtilization(now, this.lastSample);
    this.lastSample = now;
    const total = last.active + last.idle;
    const inline = total > 0 ? Math.min(this.inlineMs, last.active) / total : 0;
    const other = total > 0 ? Math.max(0, last.active - this.inlineMs) / total : 0;
    this.inlineMs = 0;
    this.isLoopQuiet = other < MAX_OTHER_LOAD && inline < MAX_INLINE_SHARE;
  }
}
