// The consumer process of the exactly-once chaos test (test/faults/exactly-once-chaos.test.ts),
// on the COMPILED SDK (npm run build). It consumes a queue and a durable topic subscription with
// qos 'exactly-once' and records each message's effect as a row of `effects` in its own SQLite
// file, inside the dedup store's transaction. `effects` has NO unique constraint on purpose: a
// handler run twice for one message leaves two rows.
//
// argv: broker URL, SQLite file, queue, topic pattern, durable name, client id, incarnation number.
// stdout: `ready` once both are confirmed, then `handled <n> deduped <m>` every 200 ms: handler
// runs in this process, and deliveries the store had already recorded (handler not run).
// stderr: one line per client error. SIGTERM: close and exit 0.
import { connect, SqliteDedupStore } from '../../dist/client/node.js';

const [url, dbPath, queue, pattern, durable, clientId, incarnation] = process.argv.slice(2);

/** Counts the deliveries the store recognised as already handled: the redeliveries exactly-once absorbed. */
class CountingStore extends SqliteDedupStore {
  deduped = 0;
  async runOnce(key, fn) {
    const ran = await super.runOnce(key, fn);
    if (!ran) this.deduped++;
    return ran;
  }
}

const store = new CountingStore(dbPath);
// Columns beyond (source, pid) only explain a failure: which delivery ran, in which process, when.
store.database.exec(`CREATE TABLE IF NOT EXISTS effects (
  source TEXT NOT NULL, pid TEXT NOT NULL, seq INTEGER, deliveries INTEGER, incarnation INTEGER, at INTEGER)`);
const c = await connect(url, { clientId, waitOnFirstConnect: true, reconnectDelayMs: 20, maxReconnectDelayMs: 300 });
c.on('error', (err) => process.stderr.write(`client error: ${err?.code ?? ''} ${err?.message ?? err}\n`));

let handled = 0;
const inserts = new WeakMap();
/** The handler: the effect is one row, written through the store's open transaction `tx`. */
const record = (source) => (msg, tx) => {
  let insert = inserts.get(tx);
  if (insert === undefined) {
    insert = tx.prepare('INSERT INTO effects(source, pid, seq, deliveries, incarnation, at) VALUES (?, ?, ?, ?, ?, ?)');
    inserts.set(tx, insert);
  }
  insert.run(source, msg.payload.pid, msg.seq, msg.deliveries, Number(incarnation), Date.now());
  handled++; // progress only: a run whose transaction rolls back counts too
};

await c.consume(queue, record('queue'), { qos: 'exactly-once', dedup: store, prefetch: 100 });
await c.subscribe(pattern, record('topic'), { qos: 'exactly-once', durable, dedup: store, prefetch: 100 });
process.stdout.write('ready\n');
const report = () => process.stdout.write(`handled ${handled} deduped ${store.deduped}\n`);
const progress = setInterval(report, 200);

process.once('SIGTERM', async () => {
  clearInterval(progress);
  report();
  await c.close();
  await store.close?.();
  process.exit(0);
});
