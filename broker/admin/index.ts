/**
 * admin/: what the ADMIN operation [protocol 2.21] reads and changes across
 * the broker — the inventory of connections, topics and subscriptions, the
 * deletion of a subscription, online backups. The session's admin handler
 * checks the shape and the grant (admin on `#`) and calls in here.
 *
 * Invariants:
 * - Reads change nothing (the topic inventory goes round the router's match
 *   cache, which it would otherwise churn).
 * - A change is persisted before it is answered, as every handler's is.
 * - Backup files live in the data directory under BACKUP_FILE_PREFIX and go
 *   with their session (end, idle timeout, broker stop); those a killed
 *   broker left behind go at the next start.
 */
export { connectionInfo, connectionInfos } from './connections.js';
export { MAX_TOPICS, topicInfos } from './topics.js';
export { deleteSubscription, noteSubscription, subscriptionInfos } from './subscriptions.js';
export type { SubscriptionShape } from './subscriptions.js';
export { BACKUP_FILE_PREFIX, BACKUP_IDLE_MS, BackupSessions, MAX_BACKUPS } from './backups.js';
