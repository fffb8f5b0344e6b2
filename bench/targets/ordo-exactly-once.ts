/**
 * Ordo exactly-once, as an application writes it with the SDK: `send` and
 * `publish` with `qos: 'exactly-once'` (the SDK stamps its producer id and a
 * sequence number; the broker stores a repeat once), `consume` and
 * `subscribe` with `qos: 'exactly-once'` and a dedup store (the handler runs
 * once per delivery per store; the delivery is completed once the store
 * recorded it). Each setup shares its broker with its at-least-once baseline
 * (the same destination, without dedup), which the report divides by.
 */
import { join } from 'node:path';
import type { OpenedDedupStore, OrdoSetup } from './ordo-confirmed.js';
import { makeTempDir, removeTempDir } from './server-process.js';

/** An exactly-once setup: the destination, and the consumer's dedup store. */
export interface OrdoExactlyOnceSetup extends OrdoSetup {
  /**
   * `memory`: a `MemoryDedupStore` (exactly once while the process lives);
   * `sqlite`: a `SqliteDedupStore` in a temp file (WAL, synchronous FULL:
   * durable once recorded), one transaction per delivery.
   */
  readonly dedup: 'memory' | 'sqlite';
  readonly baseline: string;
}

export const ORDO_EXACTLY_ONCE_SETUPS = [
  { id: 'queue-memory', label: 'queue (send/consume), fsync, MemoryDedupStore', server: 'queue', destination: 'queue', dedup: 'memory', baseline: 'queue' },
  { id: 'topic-memory', label: 'topic (publish/subscribe), fsync, MemoryDedupStore', server: 'topic', destination: 'topic', dedup: 'memory', baseline: 'topic' },
  { id: 'queue-sqlite', label: 'queue (send/consume), fsync, SqliteDedupStore', server: 'queue', destination: 'queue', dedup: 'sqlite', baseline: 'queue' },
] as const satisfies readonly OrdoExactlyOnceSetup[];

/** Opens the dedup store `setup` names; closing it removes its files. */
export async function openDedupStore(setup: OrdoExactlyOnceSetup): Promise<OpenedDedupStore> {
  if (setup.dedup === 'memory') {
    const { MemoryDedupStore } = await import('../../client/index.js');
    return { store: new MemoryDedupStore(), close: async () => undefined };
  }
  const { SqliteDedupStore } = await import('../../client/node.js');
  const dir = await makeTempDir('dedup');
  let store: InstanceType<typeof SqliteDedupStore>;
  try {
    store = new SqliteDedupStore(join(dir, 'dedup.sqlite'));
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
  return {
    store,
    close: async () => {
      await store.close();
      await removeTempDir(dir);
    },
  };
}
