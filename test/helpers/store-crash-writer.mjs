// The victim of the store crash test (test/contract/sqlite-store.test.ts):
// commits batches to the COMPILED store (npm run build) until it is killed.
// argv: data dir, durability. Batch n puts message n and an entry for it in
// queue `crash`; the line `n` is printed only after commit(n) resolved, so
// every number on stdout is a batch the store confirmed. Several batches are
// kept in flight so that the kill can land in the middle of a group commit.
import { openStore } from '../../dist/broker/store/index.js';

const [dataDir, durability = 'fsync'] = process.argv.slice(2);
const IN_FLIGHT = 32;
const store = openStore({ dataDir, durability });
const state = await store.open();
await store.commit([{ op: 'putQueue', queue: { name: 'crash', settings: {}, createdAt: Date.now() } }]);

let next = state.nextMessageId;
const payload = new Uint8Array(128).fill(0x2a);

function batch(n) {
  return [
    { op: 'putMessage', message: { id: n, topic: 'crash/t', payload, headers: null, replyTo: null, publishedAt: Date.now(), expiresAt: null, priority: 4 } },
    { op: 'addEntry', entry: { queue: 'crash', messageId: n, priority: 4, availableAt: 0, expiresAt: null, deliveries: 0 } },
  ];
}

function send() {
  const n = next++;
  store.commit(batch(n)).then(() => {
    // stdout to a pipe is synchronous on Linux: once written, the line survives our SIGKILL.
    process.stdout.write(`${n}\n`);
    send();
  }, (err) => {
    process.stderr.write(`commit ${n} failed: ${err.stack}\n`);
    process.exit(1);
  });
}

process.stdout.write('ready\n');
for (let i = 0; i < IN_FLIGHT; i++) send();
