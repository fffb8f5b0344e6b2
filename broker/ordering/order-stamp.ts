import type { Order } from '../protocol/index.js';
import type { MessageOrder } from '../store/index.js';
import type { TotalScopes } from './total-scopes.js';

/** What the broker knows of a publisher's causal past when it accepts a message. */
export interface CausalPast {
  /** The publisher's `after`: the highest id in its causal past that it knows of (deliveries, confirmed publishes). */
  readonly after: number;
  /** The id of the last message accepted on the publisher's connection: its own publishes it has no confirm for. */
  readonly lastAccepted: number;
  /** The highest id given out so far: the new message gets a higher one. */
  readonly lastSeq: number;
}

/**
 * The ordering metadata of a message about to be accepted [semantics 2.2,
 * 2.3], or undefined for fifo. `dep` bounds the message's causal past: the
 * broker gives ids in the order it accepts messages, and a client can only
 * receive a message, or learn its own message's id, after the broker
 * accepted it — so every message that happened before this one has an id
 * at most the larger of what the publisher says it saw and what its
 * connection published. It is kept below the new id whatever the client
 * claims, so no message waits for a successor.
 */
export function orderStamp(order: Order | null | undefined, past: CausalPast, scopes: TotalScopes, topic: string): MessageOrder | undefined {
  if (order !== 'causal' && order !== 'total') return undefined;
  const dep = Math.min(Math.max(past.after, past.lastAccepted), past.lastSeq);
  return order === 'total' ? { dep, scope: scopes.scopeOf(topic) } : { dep };
}
