/**
 * Delivery counts without a statement of their own. A message sent to a
 * consumer that has room is stored, enqueued and delivered in one turn, so
 * its addEntry and the setDeliveries of its first delivery usually travel in
 * the same transaction: the count can go into the INSERT, and the UPDATE
 * (a fifth of the worker's statements per message) is skipped.
 */
import type { DecodedOp } from './op-codec.js';

type AddEntry = Extract<DecodedOp, { op: 'addEntry' }>;

/** What a transaction may skip: setDeliveries ops folded away, and the count each affected addEntry inserts instead. */
export interface Folded {
  readonly skip: ReadonlySet<DecodedOp>;
  readonly deliveries: ReadonlyMap<DecodedOp, number>;
}

/** Nothing folded: the path that applies each batch on its own (after a failure) runs every op as given. */
export const NOTHING_FOLDED: Folded = { skip: new Set(), deliveries: new Map() };

/**
 * Finds the setDeliveries that apply to an entry added earlier in the same
 * transaction with no other op on that entry in between (a delete, a move,
 * a purge or queue delete ends the folding for it), so that folding leaves
 * every row exactly as running the ops one by one would.
 */
export function foldDeliveries(batches: readonly (readonly DecodedOp[])[]): Folded {
  let added: Map<string, AddEntry> | undefined;
  let folded: { skip: Set<DecodedOp>; deliveries: Map<DecodedOp, number> } | undefined;
  for (const batch of batches) {
    for (const op of batch) {
      switch (op.op) {
        case 'addEntry':
          (added ??= new Map()).set(keyOf(op.entry.queue, op.entry.messageId), op);
          break;
        case 'setDeliveries': {
          const add = added?.get(keyOf(op.queue, op.messageId));
          if (add === undefined) break;
          folded ??= { skip: new Set(), deliveries: new Map() };
          folded.skip.add(op);
          folded.deliveries.set(add, op.deliveries);
          break;
        }
        case 'deleteEntry':
          added?.delete(keyOf(op.queue, op.messageId));
          break;
        case 'moveEntry':
          added?.delete(keyOf(op.from, op.messageId));
          added?.delete(keyOf(op.to, op.messageId));
          break;
        case 'purgeQueue':
        case 'deleteQueue':
        case 'putQueue':
          added?.clear();
          break;
        default:
          break;
      }
    }
  }
  return folded ?? NOTHING_FOLDED;
}

function keyOf(queue: string, messageId: number): string {
  return `${messageId} ${queue}`;
}
