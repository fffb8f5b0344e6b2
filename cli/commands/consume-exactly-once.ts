import type { Message, Order, OrdoClient } from '../../client/index.js';
import { SqliteDedupStore } from '../../client/node.js';
import { describeError } from '../run-command.js';

/** What an exactly-once `ordo consume` or `ordo sub` needs. */
export interface ExactlyOnceFlags {
  count?: number;
  prefetch?: number;
  order?: Order;
  /** The dedup store's SQLite file (kept across runs); none: memory, for this run only. */
  dedup?: string;
}

/**
 * Prints deliveries exactly once [semantics 1.3]: each is printed, recorded
 * in the dedup store, then completed; a message the store has seen (its
 * earlier run printed it, the COMPLETE was lost) is completed unprinted.
 * Resolves after --count messages (the rest go back, unhandled) or never.
 */
export async function printExactlyOnce(
  client: OrdoClient, source: { queue: string } | { pattern: string; durable?: string; group?: string },
  flags: ExactlyOnceFlags, render: (msg: Message) => string | undefined,
): Promise<void> {
  const dedup = flags.dedup === undefined ? undefined : new SqliteDedupStore(flags.dedup);
  let remaining = flags.count ?? Infinity;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => { finish = resolve; });
  client.on('error', (err) => process.stderr.write(`ordo: ${describeError(err)}\n`));
  const print = (msg: Message): void => {
    // Past --count before stop() took effect: given back (nacked), not printed.
    if (remaining <= 0) throw new Error(`--count ${flags.count} reached: message ${msg.id} goes back to the queue`);
    const line = render(msg);
    if (line !== undefined) process.stdout.write(line);
    if (--remaining === 0) finish();
  };
  const options = { qos: 'exactly-once' as const, order: flags.order, dedup, prefetch: flags.prefetch };
  const sub = 'queue' in source
    ? await client.consume(source.queue, print, options)
    : await client.subscribe(source.pattern, print, { ...options, durable: source.durable, group: source.group });
  process.stderr.write(`consuming ${'queue' in source ? source.queue : source.pattern} exactly once\n`);
  try {
    await done;
    // The last printed message's COMPLETE goes before the unsubscribe that gives the others back.
    await sub.stop();
    await client.flush();
  } finally {
    await dedup?.close();
  }
}
