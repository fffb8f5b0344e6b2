import type { BrokerConfig } from '../config/index.js';
import type { Router } from '../delivery/index.js';
import type { DurableEngine } from '../durable/index.js';
import type { TotalScopes } from '../ordering/index.js';
import type { BrokerStats } from '../protocol/index.js';
import type { Connection } from './connection.js';
import type { ProducerClaims } from './producer-claims.js';
import type { Security } from '../auth/security.js';
import type { UserConnections } from '../auth/user-connections.js';
import type { ResourceAlarms } from '../guards/index.js';
import type { Logger } from '../observability/logger.js';
import type { BackupSessions } from '../admin/index.js';

/** Broker-wide counters; connections add to them as they go. */
export interface BrokerCounters {
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
  dropped: number;
  /** messagesIn by the guarantee asked for: a publish without one is at-most-once, a send without one at-least-once (the SDK's default). */
  inAtMostOnce: number;
  inAtLeastOnce: number;
  inExactlyOnce: number;
  /** Deliveries sent with no ack expected: at-most-once fan-out, auto-acked queue deliveries, retained and replayed messages. */
  outAtMostOnce: number;
  /** Operations whose handler threw (answered ERR_INTERNAL). */
  handlerErrors: number;
}

/**
 * What a connection needs of the broker. The broker implements it; sessions
 * see nothing else of it, so handlers are testable with a stand-in.
 */
export interface BrokerContext {
  readonly config: Readonly<BrokerConfig>;
  readonly router: Router;
  /** Queues, stored publishes, retained messages and replay. */
  readonly durable: DurableEngine;
  readonly counters: BrokerCounters;
  readonly serverName: string;
  /** Which connection speaks for each idempotent producer id. */
  readonly producerClaims: ProducerClaims;
  /** The broker-wide sequence number of the next message. */
  nextSeq(): number;
  /** The last sequence number given out. */
  lastSeq(): number;
  /** Total-order scopes by topic [semantics 2.3]. */
  readonly scopes: TotalScopes;
  /** Users, ACL rules, authentication [docs/security.md]. */
  readonly security: Security;
  /** Memory and disk watermarks: while one is on, messages are refused [docs/security.md]. */
  readonly alarms: ResourceAlarms;
  /** The structured log: connection opens and closes, failed logins, admin actions, errors [docs/operations.md]. */
  readonly log: Logger;
  /** Online backups being read by admin clients [protocol 2.21]. */
  readonly backups: BackupSessions;
  /** Open connections per user. */
  readonly userConnections: UserConnections;
  /** Every connection, for revoking a user's sessions. */
  readonly connections: ReadonlySet<Connection>;
  /** Asks for `conn.flush()` once the current I/O turn has been processed. */
  scheduleFlush(conn: Connection): void;
  stats(): BrokerStats;
  /** Called once when a connection has closed. */
  forget(conn: Connection): void;
}
