import { expect, it } from 'vitest';
import { connect, MemoryDedupStore, type DedupStore } from '../../client/index.js';
import { startTestBroker } from '../helpers/broker.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * An exactly-once, total-order client with two durable subscriptions (t/a,
 * t/b). m1 (t/a) is running — its dedup lookup is slow — when the
 * connection is cut. After the reconnect both m1 and m2 (t/b, published after
 * m1) come again. The stale run of m1 ends without running the handler (the
 * delivery is no longer held): that must not count as handled, or m2 would be
 * released before m1's new copy (as it once was).
 */
const res = useResources();
it('exactly-once + total: a stale run cut by a reconnect does not count as handled', async () => {
  const broker = res.track(await startTestBroker(), (b) => b.cleanup());
  const proxy = await startFaultProxy({ target: broker.port, maxLifetimeMs: 30_000 });
  res.defer(() => proxy.close());
  // A memory store whose first lookup waits until the test lets it go.
  const memory = new MemoryDedupStore();
  let releaseFirst!: () => void;
  const firstGate = new Promise<void>((r) => { releaseFirst = r; });
  let lookups = 0;
  let firstLookupStarted = false;
  const store: DedupStore = {
    seen: async (key) => {
      if (lookups++ === 0) { firstLookupStarted = true; await firstGate; }
      return memory.seen(key);
    },
    commit: (key) => memory.commit(key),
  };
  const c = res.track(await connect(`ws://127.0.0.1:${proxy.port}`, { clientId: 'eo-c', dedup: store, reconnectDelayMs: 20 }), (x) => x.close());
  let reconnects = 0;
  c.on('reconnect', () => { reconnects++; });
  const handled: string[] = [];
  const options = { qos: 'exactly-once', order: 'total' } as const;
  await c.subscribe<string>('t/a', (m) => { handled.push(m.payload); }, { ...options, durable: 'a' });
  await c.subscribe<string>('t/b', (m) => { handled.push(m.payload); }, { ...options, durable: 'b' });
  const p = res.track(await connect(broker.url, { reconnect: false }), (x) => x.close());
  await p.publish('t/a', 'm1', { qos: 'at-least-once', order: 'total' });
  await p.publish('t/b', 'm2', { qos: 'at-least-once', order: 'total' });
  await waitFor(() => firstLookupStarted, { timeoutMs: 5000 }, 'the run of m1 reaches the dedup store');
  proxy.severAll();
  await waitFor(() => reconnects === 1, { timeoutMs: 5000 }, 'C reconnects');
  await new Promise((r) => setTimeout(r, 200)); // m1 and m2 come again meanwhile
  releaseFirst();
  await waitFor(() => handled.length >= 2, { timeoutMs: 5000 }).catch(() => undefined);
  console.log(`handled: ${handled.join(', ')}`);
  expect(handled).toEqual(['m1', 'm2']);
}, 30_000);
