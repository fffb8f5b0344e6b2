/**
 * The embeddable broker (`import { startBroker } from 'ordo/broker'`).
 *
 * Module map and who may import whom (one way only):
 *   errors/ ← protocol/ ← topics/ ← delivery/ ← session/ ← broker.ts ← server.ts
 *   config/ is read by broker.ts and server.ts; store/ (the only importer of
 *   better-sqlite3) is opened by server.ts; queues/ is pure and drives no I/O.
 *   client/ shares only errors/ and protocol/.
 */
export { startBroker } from './server.js';
export type { BrokerHandle, StartBrokerOptions } from './server.js';
export type { AuthenticateHook, AuthRequest, AuthResult } from './auth/security-options.js';
export { parseConfig, DEFAULT_CONFIG } from './config/index.js';
export type { BrokerConfig, BrokerConfigInput } from './config/index.js';
export { OrdoError, isOrdoError } from './errors/index.js';
export type { ErrorCode } from './errors/index.js';
export type { BrokerStats, ConnectionStats } from './protocol/index.js';
