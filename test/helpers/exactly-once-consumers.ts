import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Resources } from './resources.js';
import { waitFor } from './wait-for.js';

/**
 * The consumer processes of the exactly-once chaos test
 * (test/faults/exactly-once-chaos.test.ts) and the `effects` table they
 * write. Each process runs test/helpers/exactly-once-consumer.mjs; all of
 * them open ONE SQLite file, so they share one dedup store and one
 * `effects` table [semantics 1.3, "One queue, one dedup store"]. Every
 * process gets its own incarnation number (1, 2, … in start order), which
 * its rows carry: a doubled effect names the processes that ran it.
 */

const CONSUMER_SCRIPT = fileURLToPath(new URL('./exactly-once-consumer.mjs', import.meta.url));

/** What every consumer process consumes, and where it records. */
export interface ConsumerSetup {
  /** The broker's (or the proxy's) URL. */
  readonly url: string;
  /** The shared SQLite file: dedup store and effects. */
  readonly dbPath: string;
  readonly queue: string;
  /** The durable subscription's topic pattern. */
  readonly pattern: string;
  readonly durable: string;
  /** One client id for all: same client id and durable name make them compete for one queue. */
  readonly clientId: string;
  /** The test's start, ms since the epoch: times on a consumer's stderr count from it. */
  readonly since: number;
}

/** One consumer process, one incarnation. */
export interface ConsumerProcess {
  readonly incarnation: number;
  readonly child: ChildProcess;
  /** Handler runs it reported so far (its last report, every 200 ms). */
  handled(): number;
  /** Deliveries it reported its dedup store recognised (the handler not run). */
  deduped(): number;
  stderr(): string;
  /** Resolves after its last output, once it has exited. */
  readonly exited: Promise<void>;
}

async function startConsumer(res: Resources, setup: ConsumerSetup, incarnation: number): Promise<ConsumerProcess> {
  const { url, dbPath, queue, pattern, durable, clientId, since } = setup;
  const child = spawn(process.execPath, [CONSUMER_SCRIPT, url, dbPath, queue, pattern, durable, clientId, String(incarnation), String(since)],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  res.defer(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let out = '';
  let err = '';
  let handled = 0;
  let deduped = 0;
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    const last = /handled (\d+) deduped (\d+)\n[^\n]*$/.exec(out);
    if (last) [handled, deduped] = [Number(last[1]), Number(last[2])];
    if (out.length > 4096) out = out.slice(-256);
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { err += s; });
  await waitFor(() => child.exitCode !== null || out.includes('ready') || handled > 0, { timeoutMs: 20_000 }, `consumer ${incarnation} ready`);
  if (child.exitCode !== null) throw new Error(`consumer ${incarnation} exited (${child.exitCode}): ${err}`);
  return { incarnation, child, handled: () => handled, deduped: () => deduped, stderr: () => err, exited };
}

/**
 * Competing consumer processes on one SQLite file: `slots` of them live at
 * once (started one after the other, so the first creates the tables
 * alone); `kill(slot)` SIGKILLs one, `restart(slot)` starts its successor.
 */
export class ConsumerFleet {
  /** Every incarnation started, killed ones included (their last report counts). */
  private readonly all: ConsumerProcess[] = [];
  private readonly live: (ConsumerProcess | undefined)[] = [];

  private constructor(private readonly res: Resources, private readonly setup: ConsumerSetup) {}

  static async start(res: Resources, setup: ConsumerSetup, slots: number): Promise<ConsumerFleet> {
    const fleet = new ConsumerFleet(res, setup);
    for (let slot = 0; slot < slots; slot++) fleet.live[slot] = await fleet.spawn();
    return fleet;
  }

  /** Handler runs reported by all incarnations. */
  handled(): number {
    return this.all.reduce((sum, c) => sum + c.handled(), 0);
  }

  /** Redeliveries the shared dedup store recognised, in all incarnations. */
  deduped(): number {
    return this.all.reduce((sum, c) => sum + c.deduped(), 0);
  }

  /** Handler runs per incarnation, for the printed line: `#1 12000, #2 9000, …`. */
  describe(): string {
    return this.all.map((c) => `#${c.incarnation} ${c.handled()}`).join(', ');
  }

  /** SIGKILLs the process in `slot` and resolves with it once it has exited; the slot stays empty. */
  async kill(slot: number): Promise<ConsumerProcess> {
    const killed = this.live[slot]!;
    this.live[slot] = undefined;
    killed.child.kill('SIGKILL');
    await killed.exited;
    return killed;
  }

  /** Starts the next incarnation in the empty `slot`, on the same file; resolves once it is ready. */
  async restart(slot: number): Promise<ConsumerProcess> {
    return this.live[slot] = await this.spawn();
  }

  /** SIGTERMs the live processes (they close their client and store) and waits up to 5 s for them. */
  async stop(): Promise<void> {
    const live = this.live.filter((c) => c !== undefined);
    for (const c of live) c.child.kill('SIGTERM');
    await Promise.race([Promise.all(live.map((c) => c.exited)), new Promise((resolve) => setTimeout(resolve, 5000))]);
  }

  /** The end of every incarnation's stderr. */
  stderr(): string {
    return this.all.map((c) => `#${c.incarnation}: ${c.stderr().slice(-1000)}`).join('\n');
  }

  private async spawn(): Promise<ConsumerProcess> {
    const c = await startConsumer(this.res, this.setup, this.all.length + 1);
    this.all.push(c);
    return c;
  }
}

/** What the effects table holds for one source. */
export interface SourceEffects {
  rows: number;
  /** Expected payload ids without a row. */
  lost: string[];
  /** Payload ids with more than one row. */
  doubled: string[];
}

export type Source = 'queue' | 'topic';

function readEffects<T>(dbPath: string, read: (db: Database.Database) => T): T {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** Per source: rows, the expected ids with none, the ids with more than one. */
export function countEffects(dbPath: string, expected: readonly string[]): Record<Source, SourceEffects> {
  return readEffects(dbPath, (db) => {
    const count = (source: Source): SourceEffects => {
      const counts = new Map<string, number>();
      for (const { pid, n } of db.prepare('SELECT pid, count(*) AS n FROM effects WHERE source = ? GROUP BY pid').all(source) as { pid: string; n: number }[]) counts.set(pid, n);
      return {
        rows: [...counts.values()].reduce((a, b) => a + b, 0),
        doubled: [...counts].filter(([, n]) => n > 1).map(([pid]) => pid),
        lost: expected.filter((pid) => !counts.has(pid)),
      };
    };
    return { queue: count('queue'), topic: count('topic') };
  });
}

/** Distinct (source, payload id) pairs with a row. */
export function distinctEffects(dbPath: string): number {
  return readEffects(dbPath, (db) => (db.prepare('SELECT count(*) AS n FROM (SELECT DISTINCT source, pid FROM effects)').get() as { n: number }).n);
}

/**
 * The longest a handler run waited, in ms, from the SDK's check that its delivery is still held
 * to its transaction (behind the other subscription's, and for the write lock another process held):
 * the time its connection had to be lost, and its delivery run elsewhere, unnoticed.
 */
export function longestWaitMs(dbPath: string): number {
  return readEffects(dbPath, (db) => (db.prepare('SELECT coalesce(max(at - asked), 0) AS ms FROM effects').get() as { ms: number }).ms);
}

/** One handler run: the delivery, the process, and when (ms after the test's start) it was asked for and ran. */
export interface EffectRow {
  seq: number;
  deliveries: number;
  incarnation: number;
  askedMs: number;
  atMs: number;
}

/** The rows of `pid` from `source` (times in ms after `since`, as in the timeline), for a failure's story. */
export function rowsOf(dbPath: string, source: Source, pid: string, since: number): EffectRow[] {
  return readEffects(dbPath, (db) => db.prepare(
    'SELECT seq, deliveries, incarnation, asked - ? AS askedMs, at - ? AS atMs FROM effects WHERE source = ? AND pid = ? ORDER BY at',
  ).all(since, since, source, pid) as EffectRow[]);
}
