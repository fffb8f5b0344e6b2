/**
 * session/: one client connection from hello to close — reading frames,
 * dispatching each operation to its handler (one file per operation under
 * handlers/), batching replies and deliveries into frames, dropping for slow
 * consumers. Sessions reach the rest of the broker only through
 * BrokerContext.
 */
export { Connection } from './connection.js';
export type { ConnectionState } from './connection.js';
export type { BrokerContext, BrokerCounters } from './context.js';
export { ProducerClaims } from './producer-claims.js';
