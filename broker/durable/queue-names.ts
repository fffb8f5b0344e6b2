import { MAX_QUEUE_NAME_LENGTH } from '../queues/index.js';
import { NO_HISTORY_PREFIX } from '../store/index.js';

/**
 * Why `name` cannot name a queue an application creates or sends to, or
 * undefined: 1 to 255 characters, no control characters, not starting with
 * `$` (the broker's own queues, those behind subscriptions, start with `$`).
 */
export function queueNameError(name: string): string | undefined {
  if (name.length === 0 || name.length > MAX_QUEUE_NAME_LENGTH) return `a queue name has 1 to ${MAX_QUEUE_NAME_LENGTH} characters`;
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'a queue name must not contain control characters';
  if (name.startsWith('$')) return "queue names starting with '$' are the broker's (subscription queues)";
  return undefined;
}

/** The topic a message sent to queue `queue` is stored under (it keeps no topic history). */
export function queueTopic(queue: string): string {
  return NO_HISTORY_PREFIX + queue;
}

/** The topic a delivery shows: the queue's name for a message sent to a queue, else the topic it was published to. */
export function shownTopic(storedTopic: string): string {
  return storedTopic.startsWith(NO_HISTORY_PREFIX) ? storedTopic.slice(NO_HISTORY_PREFIX.length) : storedTopic;
}

/** Who subscribes, for naming the queue behind an at-least-once subscription. */
export interface SubscriptionOwnerId {
  readonly connectionId: string;
  readonly clientId: string;
  readonly subId: number;
  /** The authenticated user; '' with auth off. */
  readonly user: string;
}

/**
 * True when `queue` is one that durable subscriptions of `user` keep with
 * auth on (`$durable/<user>/<client>/<name>`, `$group/<user>/<group>/d/<name>`,
 * or the dead-letter queue of one). Only those names carry a user: a
 * non-durable group's queue (`$group/<group>/p/<pattern>`) and a durable
 * one made with auth off have none.
 */
export function isKeptQueueOf(queue: string, user: string): boolean {
  const parts = subscriptionQueueParts(queue);
  return parts?.user === user && parts.durable !== undefined;
}

/** What a subscription queue's name says of its subscription (the inverse of subscriptionQueueName). */
export interface SubscriptionQueueParts {
  readonly user?: string;
  readonly clientId?: string;
  readonly durable?: string;
  readonly group?: string;
}

/**
 * Reads back the parts subscriptionQueueName() encoded in `queue`, or
 * undefined when it is no subscription's queue. A `$sub/` queue names only
 * its connection, which its live consumer shows anyway.
 */
export function subscriptionQueueParts(queue: string): SubscriptionQueueParts | undefined {
  let levels: string[];
  try {
    levels = queue.split('/').map((level) => decodeURIComponent(level));
  } catch {
    return undefined; // not encoded as the broker encodes its queue names
  }
  const [root] = levels;
  if (root === '$durable' && (levels.length === 3 || levels.length === 4)) {
    const [clientId, durable] = levels.slice(-2);
    return { ...(levels.length === 4 && { user: levels[1] }), ...(clientId !== '-' && { clientId }), durable };
  }
  if (root === '$group' && (levels.length === 4 || levels.length === 5)) {
    const [group, kind, name] = levels.slice(-3);
    if (kind === 'p') return levels.length === 4 ? { group } : undefined;
    if (kind === 'd') return { ...(levels.length === 5 && { user: levels[1] }), group, durable: name };
  }
  if (root === '$sub' && levels.length === 3) return {};
  return undefined;
}

/** The first level of the queue of a subscription that is neither durable nor shared: `$sub/<connection>/<subId>`. */
const CONNECTION_QUEUE_ROOT = '$sub/';

/**
 * True for the queue of a subscription that is neither durable nor shared:
 * named after its connection, a new name with every connection, gone with it.
 */
export function isConnectionQueue(queue: string): boolean {
  return queue.startsWith(CONNECTION_QUEUE_ROOT);
}

/**
 * The queue behind an at-least-once subscription [semantics 1.2]. Each part
 * is URI-encoded (`/` becomes `%2F`), so no two subscriptions share a name:
 * - durable `D` in group `G`: `$group/G/d/D` (kept while every member is away);
 * - durable `D`: `$durable/<clientId>/D` (one per client id and name; `-` without a client id);
 * - group `G`: `$group/G/p/<pattern>` (deleted with its last member);
 * - otherwise `$sub/<connection>/<subId>` (deleted with the subscription).
 * With auth on, the durable names begin with the user's (`$durable/<user>/…`,
 * `$group/<user>/…`): a client id or group name is the client's to choose, so
 * without it one user could take over another's kept queue, and the messages
 * in it, by naming it [docs/security.md]. A non-durable group's queue is
 * named by its pattern, which every member was allowed to subscribe to.
 */
export function subscriptionQueueName(owner: SubscriptionOwnerId, pattern: string, durable?: string, group?: string): { name: string; transient: boolean } {
  const enc = encodeURIComponent;
  const user = owner.user === '' ? '' : `${owner.user}/`;
  if (group !== undefined) {
    return durable === undefined
      ? { name: `$group/${enc(group)}/p/${enc(pattern)}`, transient: true }
      : { name: `$group/${user}${enc(group)}/d/${enc(durable)}`, transient: false };
  }
  if (durable !== undefined) return { name: `$durable/${user}${enc(owner.clientId || '-')}/${enc(durable)}`, transient: false };
  return { name: `${CONNECTION_QUEUE_ROOT}${owner.connectionId}/${owner.subId}`, transient: true };
}
