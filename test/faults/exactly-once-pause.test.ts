import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { SqliteDedupStore } from '../../client/node.js';
import { makeTempDir, startTestBroker } from '../helpers/broker.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * A consumer process paused (SIGSTOP: a frozen VM, a long GC) while its
 * delivery waits for the shared dedup file's lock outlives its connection:
 * the broker gives the message to another consumer, which runs it and
 * completes it, and its key is forgotten. Resumed, the paused process must
 * not run the message again (docs/semantics.md 1.3).
 */

const CONSUMER = fileURLToPath(new URL('../helpers/slow-lock-consumer.mjs', import.meta.url));
const HEARTBEAT_MS = 200;
const res = useResources();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('exactly-once and a paused consumer', () => {
  it('a consumer paused past its connection does not run a delivery another consumer completed', async () => {
    const dir = res.track(await makeTempDir('ordo-pause-'), (d) => rm(d, { recursive: true, force: true }));
    const broker = res.track(await startTestBroker({ heartbeatMs: HEARTBEAT_MS }), (b) => b.cleanup());
    const path = join(dir, 'dedup.db');
    const setup = new SqliteDedupStore(path);
    setup.database.exec('CREATE TABLE effects (who TEXT, seq INTEGER)');
    await setup.close();
    // Another consumer's long handler, as far as the paused one can tell: the file's write lock, held.
    const locker = res.track(new Database(path), (db) => db.close());
    locker.exec('BEGIN IMMEDIATE');
    const child = spawn(process.execPath, [CONSUMER, broker.url, path, 'jobs'], { stdio: ['ignore', 'pipe', 'inherit'] });
    res.defer(() => { child.kill('SIGKILL'); });
    await new Promise((resolve) => child.stdout!.once('data', resolve));
    const producer = res.track(await connect(broker.url), (c) => c.close());
    await producer.send('jobs', 'once', { qos: 'exactly-once' });
    await waitFor(async () => (await producer.queueInfo('jobs')).unacked === 1);
    await sleep(100); // its RECEIVED is answered; it waits for the lock
    process.kill(child.pid!, 'SIGSTOP');
    await sleep(HEARTBEAT_MS * 3); // the broker drops the silent connection and takes the delivery back
    locker.exec('ROLLBACK');
    const store = res.track(new SqliteDedupStore(path), (s) => s.close());
    const other = res.track(await connect(broker.url), (c) => c.close());
    await other.consume('jobs', (msg, tx) => {
      tx.prepare('INSERT INTO effects (who, seq) VALUES (?, ?)').run('other', msg.seq);
    }, { qos: 'exactly-once', dedup: store });
    await waitFor(async () => (await other.queueInfo('jobs')).total === 0);
    // The key is forgotten after four heartbeats and a second.
    await waitFor(() => store.database.prepare('SELECT count(*) FROM ordo_dedup').pluck().get() === 0, { timeoutMs: 5000 });
    process.kill(child.pid!, 'SIGCONT');
    await sleep(1000);
    expect(store.database.prepare('SELECT who FROM effects').pluck().all()).toEqual(['other']);
  }, 30_000);
});
