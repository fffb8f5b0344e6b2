/**
 * ordering/: causal and total order on the broker's side [semantics 2].
 *
 * Invariants:
 * - Message ids are given in acceptance order, which extends happened-before:
 *   an ordered message's `dep` (orderStamp) is at least the id of every
 *   message in its causal past and below its own id.
 * - Total order is id order within a scope; a topic is in exactly one scope.
 * - A connection's PENDING value (PendingWatch) never claims a message was
 *   sent before it was: every message routed to one of its ordered
 *   subscriptions with an id below the value it last sent has been written
 *   to its socket ahead of that value, or will never be sent.
 */
export { DEFAULT_SCOPE, TotalScopes } from './total-scopes.js';
export { orderStamp, type CausalPast } from './order-stamp.js';
export { PendingWatch, type OrderedSource } from './pending-watch.js';
