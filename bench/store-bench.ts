/**
 * Store throughput: how many at-least-once publishes per second the store
 * itself can confirm, without the network, and how many share each commit
 * (transaction and, under `fsync`, fsync). Each publish is one batch of
 * putMessage (128-byte payload) + addEntry, as the broker writes for a
 * message sent to a durable queue. Prints nothing and asserts nothing
 * (speed is measured, never tested).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore, type Durability, type StoreOp } from '../broker/store/index.js';

/** Options for {@link benchStore}. */
export interface StoreBenchOptions {
  /** Durability of the store under test. Default `fsync` (the broker's default). */
  durability?: Durability;
  /** Publishes in the windowed run. Default 100,000. */
  messages?: number;
  /** Commits kept in flight in the windowed run (a publisher's window of unconfirmed messages). Default 500. */
  window?: number;
  /** Publishes in the one-at-a-time run. Default 5,000 (about 2 s at one fsync each). */
  serialMessages?: number;
}

/** One run's rates. */
export interface StoreBenchRun {
  /** Publishes confirmed per second. */
  messagesPerSec: number;
  /** Transactions committed per second (fsyncs, under `fsync`). */
  commitsPerSec: number;
  /** Mean publishes per transaction: how well group commit shared each fsync. */
  messagesPerCommit: number;
}

/** What {@link benchStore} measured: the windowed run, and `serial` (strictly one at a time). */
export interface StoreBenchResult extends StoreBenchRun {
  durability: Durability;
  /** Commits in flight in the windowed run. */
  window: number;
  /** One publish in flight at a time: each waits for its own confirm. */
  serial: StoreBenchRun;
}

const PAYLOAD_BYTES = 128;
const QUEUE = 'bench';

/**
 * Opens a fresh SqliteStore in a temp dir (on the OS temp dir's disk), puts
 * publishes through commit() with `window` in flight, then one at a time,
 * and reports both. The store and its directory are removed afterwards.
 */
export async function benchStore(opts: StoreBenchOptions = {}): Promise<StoreBenchResult> {
  const durability = opts.durability ?? 'fsync';
  const messages = opts.messages ?? 100_000;
  const window = opts.window ?? 500;
  const serialMessages = opts.serialMessages ?? 5_000;
  const dir = await mkdtemp(join(tmpdir(), 'ordo-store-bench-'));
  const store = new SqliteStore({ dataDir: dir, durability });
  try {
    const { nextMessageId } = await store.open();
    await store.commit([{ op: 'putQueue', queue: { name: QUEUE, settings: {}, createdAt: Date.now() } }]);
    const payload = new Uint8Array(PAYLOAD_BYTES).fill(0x61);
    let id = nextMessageId;
    const publish = (): StoreOp[] => publishOps(id++, payload);
    // Warm-up: JIT, the WAL file's first pages and SQLite's page cache.
    await run(store, publish, Math.min(2_000, messages), window);
    const windowed = await run(store, publish, messages, window);
    const serial = await run(store, publish, serialMessages, 1);
    return { durability, window, ...windowed, serial };
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Commits `count` publishes keeping `window` in flight; resolves once the last is confirmed. */
function run(store: SqliteStore, publish: () => StoreOp[], count: number, window: number): Promise<StoreBenchRun> {
  return new Promise((resolve, reject) => {
    let issued = 0;
    let confirmed = 0;
    // Each batch of a transaction reports how many shared it: summing 1/batches counts transactions.
    let transactions = 0;
    const start = performance.now();
    const next = (): void => {
      issued += 1;
      store.commit(publish()).then((info) => {
        confirmed += 1;
        transactions += 1 / info.batches;
        if (issued < count) next();
        else if (confirmed === count) {
          const seconds = (performance.now() - start) / 1_000;
          const commits = Math.round(transactions);
          resolve({
            messagesPerSec: Math.round(count / seconds),
            commitsPerSec: Math.round(commits / seconds),
            messagesPerCommit: count / commits,
          });
        }
      }, reject);
    };
    for (let i = 0; i < Math.min(window, count); i++) next();
  });
}

function publishOps(id: number, payload: Uint8Array): StoreOp[] {
  const now = Date.now();
  return [
    { op: 'putMessage', message: { id, topic: QUEUE, payload, headers: null, replyTo: null, publishedAt: now, expiresAt: null, priority: 4 } },
    { op: 'addEntry', entry: { queue: QUEUE, messageId: id, priority: 4, availableAt: now, expiresAt: null, deliveries: 0 } },
  ];
}

/** A small text table of a {@link StoreBenchResult}, for the bench report. */
export function formatStoreBench(r: StoreBenchResult): string {
  const n = (value: number): string => Math.round(value).toLocaleString('en-US');
  const line = (label: string, run: StoreBenchRun): string =>
    `  ${label.padEnd(18)}  ${n(run.messagesPerSec).padStart(9)} msg/s  ${n(run.commitsPerSec).padStart(7)} commits/s  ${run.messagesPerCommit.toFixed(1).padStart(6)} msg/commit`;
  return [
    `store (SQLite, durability ${r.durability}, ${PAYLOAD_BYTES}-byte payloads, putMessage + addEntry per message)`,
    line(`${r.window} in flight`, r),
    line('one at a time', r.serial),
  ].join('\n');
}
