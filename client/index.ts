/**
 * The Ordo SDK (`import { connect } from 'ordo'`). Isomorphic: the browser's
 * WebSocket where there is one, the `ws` package in Node.
 *
 * Invariants: the SDK shares only broker/errors and broker/protocol with the
 * broker (the wire contract); nothing here imports a Node built-in except
 * node-transport.ts, which is loaded only when there is no global WebSocket.
 */
import { OrdoClient } from './client.js';
import type { ConnectOptions } from './options.js';

/**
 * Connects to the broker at `url` (`ws://` or `wss://`). Resolves once the
 * broker welcomed the client; rejects with an OrdoError (ERR_UNREACHABLE,
 * ERR_VERSION, …) when the first attempt fails, unless `waitOnFirstConnect`.
 */
export async function connect(url: string, options?: ConnectOptions): Promise<OrdoClient> {
  const client = new OrdoClient(url, options);
  await client.start();
  return client;
}

export { OrdoClient } from './client.js';
export type { ClientEvents, ClientState } from './client-events.js';
export { Message } from './message.js';
export { QueuedMessage } from './queued-message.js';
export { AclAdmin, TokenAdmin, UserAdmin } from './security-admin.js';
export { BrokerAdmin } from './admin.js';
export { inChunks, CHUNK_MESSAGES } from './chunked.js';
export type { ChunkOptions, ChunkResult } from './chunked.js';
export type { AclRuleInput } from './security-admin.js';
export { Subscription } from './subscription.js';
export type { MessageHandler } from './subscription.js';
export type {
  AckMode, ClientTlsOptions, ConnectOptions, ConsumeOptions, NackOptions, PublishOptions, QueueSettingsInput, RequestOptions, SendOptions, SubscribeOptions,
} from './options.js';
export { OrdoError, isOrdoError, ERRORS } from '../broker/errors/index.js';
export type { ErrorCode } from '../broker/errors/index.js';
export type {
  AclRuleAction, AclRuleInfo, BrokerStats, ConnectionStats, Headers, PeekedMessage, Qos, Order, QueueInfo, StoreStats, TokenInfo, UserInfo, Welcome,
  ConnectionInfo, TopicInfo, SubscriptionInfo, BackupInfo, QueuePurgeResult, QueueMoveResult,
} from '../broker/protocol/index.js';
export { ACL_RULE_ACTIONS, QOS_LEVELS, ORDERS, topicNameError, topicPatternError } from '../broker/protocol/index.js';
export { MemoryDedupStore } from './dedup/memory-store.js';
export { IndexedDbDedupStore } from './dedup/indexeddb-store.js';
export type { DedupStore } from './dedup/dedup-store.js';
