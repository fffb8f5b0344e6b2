import type { Order, Qos } from './ops.js';

/**
 * Shapes of the ADMIN operation [protocol 2.21]: its actions and what they
 * answer. Beside ops.ts, which holds the other operations' shapes.
 */

/** The broker administration actions [protocol 2.21]. */
export const ADMIN_ACTIONS = [
  'connections', 'kick', 'topics', 'subscriptions', 'delete-subscription', 'clear-retained', 'backup-start', 'backup-read', 'backup-end',
] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

/** One connection as `admin connections` shows it [protocol 2.21]. */
export interface ConnectionInfo {
  connectionId: string;
  /** The client id its hello named ('' when none). */
  clientId: string;
  /** The authenticated user; absent when authentication is off. */
  user?: string;
  /** The peer's address and port. */
  address: string;
  /** The protocol version agreed in the welcome. */
  protocolVersion: number;
  /** The client library its hello named. */
  agent?: string;
  /** When the connection was welcomed, ms since the epoch. */
  connectedAt: number;
  /** Topic subscriptions. */
  subscriptions: number;
  /** Queue consumers. */
  consumers: number;
  /** Messages received from it and sent to it since it connected. */
  messagesIn: number;
  messagesOut: number;
  /** Messages per second over the last few seconds. */
  rateIn: number;
  rateOut: number;
  /** At-most-once messages dropped because it was slow. */
  dropped: number;
  /** Bytes written to its socket and not yet sent. */
  bufferedBytes: number;
}

/** One topic as `admin topics` shows it [protocol 2.21]. */
export interface TopicInfo {
  topic: string;
  /** Live subscriptions whose pattern matches it now. */
  subscribers: number;
  /** Whether it holds a retained message. */
  retained: boolean;
  /** Messages of its history kept for replay. */
  stored: number;
  /** Sequence number of its newest stored or retained message. */
  lastSeq?: number;
}

/** One subscription as `admin subscriptions` shows it [protocol 2.21]. */
export interface SubscriptionInfo {
  pattern: string;
  qos: Qos;
  order: Order;
  /** The subscriber's connection; absent for a durable or shared subscription whose subscriber is away. */
  connectionId?: string;
  clientId?: string;
  user?: string;
  /** The durable subscription's name. */
  durable?: string;
  /** The shared subscription's group. */
  group?: string;
  /** The queue holding its messages (durable, shared and at-least-once subscriptions): what `delete-subscription` names. */
  queue?: string;
  /** Messages of that queue deliverable now. */
  ready?: number;
  /** Delivered, not yet acked. */
  unacked?: number;
}

/** Answer of `admin backup-start` [protocol 2.21]: read the backup with `backup-read` from offset 0 until an empty chunk. */
export interface BackupInfo {
  /** Names the backup to backup-read and backup-end. */
  id: string;
  /** Size of the backup file. */
  bytes: number;
}

/** Most bytes one `backup-read` returns. */
export const MAX_BACKUP_CHUNK = 256 * 1024;
