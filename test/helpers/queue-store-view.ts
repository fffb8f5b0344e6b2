/**
 * The store as QueueState's ops leave it, for the queue tests: entries per
 * queue in Maps, each op applied as broker/store/store.ts specifies it
 * (moveEntry keeps priority and takes the op's other fields, and onto an
 * entry the target holds only deletes the source; ops on a missing entry do nothing). What the
 * ops of a QueueState build here must always equal its records().
 */
import type { EntryRecord, StoreOp } from '../../broker/store/index.js';

export class StoreView {
  private readonly queues = new Map<string, Map<number, EntryRecord>>();

  /** Applies `ops` in order. Throws on what would fail a batch in a real store. */
  apply(ops: readonly StoreOp[]): void {
    for (const op of ops) {
      switch (op.op) {
        case 'addEntry': {
          const entries = this.queue(op.entry.queue);
          if (entries.has(op.entry.messageId)) throw new Error(`addEntry of existing ${op.entry.queue}/${op.entry.messageId}`);
          entries.set(op.entry.messageId, { ...op.entry });
          break;
        }
        case 'deleteEntry': this.queue(op.queue).delete(op.messageId); break;
        case 'setDeliveries': this.update(op.queue, op.messageId, { deliveries: op.deliveries }); break;
        case 'setAvailableAt': this.update(op.queue, op.messageId, { availableAt: op.availableAt }); break;
        case 'moveEntry': {
          const entry = this.queue(op.from).get(op.messageId);
          if (entry === undefined) break;
          this.queue(op.from).delete(op.messageId);
          if (this.queue(op.to).has(op.messageId)) break;
          const { deliveries, expiresAt, availableAt } = op;
          this.queue(op.to).set(op.messageId, { ...entry, queue: op.to, deliveries, expiresAt, availableAt });
          break;
        }
        case 'purgeQueue': this.queue(op.queue).clear(); break;
        default: throw new Error(`a queue emitted ${op.op}`);
      }
    }
  }

  /** The entries of `queue`, by message id. */
  entries(queue: string): EntryRecord[] {
    return sortRecords([...this.queue(queue).values()]);
  }

  private queue(name: string): Map<number, EntryRecord> {
    let entries = this.queues.get(name);
    if (entries === undefined) this.queues.set(name, entries = new Map());
    return entries;
  }

  private update(queue: string, messageId: number, change: Partial<EntryRecord>): void {
    const entry = this.queue(queue).get(messageId);
    if (entry !== undefined) this.queue(queue).set(messageId, { ...entry, ...change });
  }
}

/** Records by message id, for comparisons. */
export function sortRecords(records: EntryRecord[]): EntryRecord[] {
  return [...records].sort((a, b) => a.messageId - b.messageId);
}
