// The consumer process of the exactly-once chaos test (test/faults/exactly-once-chaos.test.ts),
// on the COMPILED SDK (npm run build). It consumes a queue and a durable topic subscription with
// qos 'exactly-once' and records each message's effect as a row of `effects` in a SQLite file,
// inside the dedup store's transaction. Several processes may run on one file at once, as
// competing consumers with one client id and durable name: they share the dedup store and the
// table. `effects` has NO unique constraint on purpose: a handler run twice for one message, in
// one process or two, leaves two rows.
//
// argv: broker URL, SQLite file, queue, topic pattern, durable name, client id, incarnation number,
// and the test's start (ms since the epoch) that times on stderr count from.
// stdout: `ready` once both are confirmed, then `handled <n> deduped <m>` every 200 ms: handler
// runs in this process, and deliveries the store had already recorded (handler not run).
// stderr: one line per client error, and one per lost connection (`disconnected at <ms>`, ms after
// the test's start). SIGTERM: close and exit 0.
import { connect, SqliteDedupStore } from '../../dist/client/node.js';

const [url, dbPath, queue, pattern, durable, clientId, incarnation, since] = process.argv.slice(2);

/**
 * Counts the deliveries the store recognised as already handled: the redeliveries exactly-once
 * absorbed. And keeps when the SDK asked for the effect (`askedAt`, ms since the epoch: just after
 * it found the delivery still held), for the handler running later, when its turn comes.
 */
class CountingStore extends SqliteDedupStore {
  deduped = 0;
  askedAt = 0;
  async runOnce(key, fn) {
    const askedAt = Date.now();
    const ran = await super.runOnce(key, (tx) => { this.askedAt = askedAt; return fn(tx); });
    if (!ran) this.deduped++;
    return ran;
  }
}

const store = new CountingStore(dbPath);
// Columns beyond (source, pid) only explain a failure: which delivery ran, in which process, when.
// With the table in place (another process made it), this takes no write lock: it needs no wait.
store.database.exec(`CREATE TABLE IF NOT EXISTS effects (
  source TEXT NOT NULL, pid TEXT NOT NULL, seq INTEGER, deliveries INTEGER, incarnation INTEGER, asked INTEGER, at INTEGER)`);
const c = await connect(url, { clientId, waitOnFirstConnect: true, reconnectDelayMs: 20, maxReconnectDelayMs: 300 });
c.on('error', (err) => process.stderr.write(`client error: ${err?.code ?? ''} ${err?.message ?? err}\n`));
c.on('disconnect', () => process.stderr.write(`disconnected at ${Date.now() - Number(since)} ms\n`));

let handled = 0;
const inserts = new WeakMap();
/** The handler: the effect is one row, written through the store's open transaction `tx`. */
const record = (source) => (msg, tx) => {
  let insert = inserts.get(tx);
  if (insert === undefined) {
    insert = tx.prepare('INSERT INTO effects(source, pid, seq, deliveries, incarnation, asked, at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    inserts.set(tx, insert);
  }
  insert.run(source, msg.payload.pid, msg.seq, msg.deliveries, Number(incarnation), store.askedAt, Date.now());
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
