// An exactly-once consumer process on a shared SqliteDedupStore file, for test/faults/exactly-once-pause.test.ts:
// its handler records an effect row; it waits as long as it takes for the file's write lock.
import { connect, SqliteDedupStore } from '../../dist/client/node.js';

const [url, path, queue] = process.argv.slice(2);
const store = new SqliteDedupStore(path, { busyTimeoutMs: 600_000 });
const client = await connect(url, { clientId: 'paused' });
client.on('error', () => undefined);
await client.consume(queue, (msg, tx) => {
  tx.prepare('INSERT INTO effects (who, seq) VALUES (?, ?)').run('paused', msg.seq);
}, { qos: 'exactly-once', dedup: store });
process.stdout.write('ready\n');
