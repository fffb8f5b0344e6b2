import { GatedSubscriber } from '../../delivery/index.js';
import { Consumer, MessageFlags, subscriptionQueueName } from '../../durable/index.js';
import {
  BrokerOp, INBOX_PREFIX, INBOX_ROOT, checkSubscribe, requestIdOf, topicPatternError, type SubscribeOp, type SubscribeWireOptions,
} from '../../protocol/index.js';
import { DEAD_LETTER_SUFFIX } from '../../queues/index.js';
import type { StoredMessage, StoreOp } from '../../store/index.js';
import type { Connection } from '../connection.js';
import { forbiddenPattern } from './grants.js';
import { DEFAULT_PREFETCH } from './consume.js';
import { isOrdered, replyFailure } from './message-checks.js';
import { noteSubscription } from '../../admin/index.js';

/** Most history messages one subscribe replays; a subscriber wanting more subscribes again from the last seq. */
export const MAX_REPLAY = 10_000;

/**
 * SUBSCRIBE [protocol 2.4]: a pattern under a client-chosen subscription id.
 * The OK comes first, then the topic's retained messages (and, with `from`,
 * its stored history), then live messages.
 * At-least-once (or durable) subscriptions are backed by a queue [semantics
 * 1.2]: their deliveries wait for acks, as a consumer's do. Nothing under
 * `$inbox` can be subscribed: each connection gets its own inbox delivered
 * without asking, so replies stay private [protocol 3.3].
 */
export function handleSubscribe(conn: Connection, op: unknown[]): void {
  const bad = checkSubscribe(op);
  if (bad !== undefined) {
    conn.replyError(requestIdOf(op), 'ERR_BAD_REQUEST', bad);
    return;
  }
  const [, reqId, subId, pattern, options] = op as SubscribeOp;
  const refusal = refusalOf(conn, subId, pattern, options);
  if (refusal !== undefined) {
    conn.replyError(reqId, ...refusal);
    return;
  }
  // Durable, shared, replaying and retained-receiving subscriptions alike: the pattern decides.
  const denied = forbiddenPattern(conn, 'subscribe', pattern);
  if (denied !== undefined) {
    conn.replyError(reqId, 'ERR_FORBIDDEN', denied);
    return;
  }
  if (isStored(options)) subscribeDurably(conn, reqId, subId, pattern, options);
  else subscribeAtMostOnce(conn, reqId, subId, pattern, options);
}

function refusalOf(conn: Connection, subId: number, pattern: string, options: SubscribeWireOptions | null): [Parameters<Connection['replyError']>[1], string] | undefined {
  const patternError = topicPatternError(pattern);
  if (patternError !== undefined) return ['ERR_BAD_PATTERN', patternError];
  if (pattern === INBOX_ROOT || pattern.startsWith(INBOX_PREFIX)) return ['ERR_FORBIDDEN', 'inboxes are delivered to their owner without subscribing'];
  if (options?.from != null) {
    if (isStored(options)) return ['ERR_UNSUPPORTED', 'replay (from) is for at-most-once subscriptions'];
    if (/(^|\/)[+#](\/|$)/.test(pattern)) return ['ERR_BAD_REQUEST', 'replay (from) needs a topic name, not a pattern with + or #'];
    if (pattern.startsWith('$')) return ['ERR_FORBIDDEN', "the broker's '$' topics keep no history to replay"];
  }
  if (conn.hasSubId(subId)) return ['ERR_CONFLICT', `subscription id ${subId} is already in use on this connection`];
  const max = conn.broker.config.limits.maxSubscriptionsPerConnection;
  if (conn.subscriptions.size + conn.consumers.size >= max) return ['ERR_LIMIT', `a connection may hold at most ${max} subscriptions`];
  if (isStored(options)) return conn.guard.unackedRefusal(conn.consumers.values(), options?.prefetch ?? DEFAULT_PREFETCH);
  return undefined;
}

/** At-least-once, exactly-once and durable subscriptions are backed by a queue. */
function isStored(options: SubscribeWireOptions | null): boolean {
  return options?.qos === 'at-least-once' || options?.qos === 'exactly-once' || options?.durable != null;
}

function subscribeAtMostOnce(conn: Connection, reqId: number, subId: number, pattern: string, options: SubscribeWireOptions | null): void {
  const { durable, router, config } = conn.broker;
  const group = options?.group ?? undefined;
  const from = options?.from;
  if (from == null) {
    const sub = { subscriber: conn, subId, pattern, qos: 'at-most-once' as const, group };
    noteSubscription(sub, { qos: 'at-most-once', order: options?.order ?? 'fifo' });
    conn.subscriptions.set(subId, sub);
    router.add(sub);
    conn.send([BrokerOp.ok, reqId, null]);
    // As in MQTT, a shared subscription gets no retained messages: its members would each get them.
    if (group === undefined) sendStored(conn, subId, durable.retained(pattern), MessageFlags.retained);
    return;
  }
  // Replay reads the store: live messages wait behind the gate meanwhile, so
  // none is missed and none overtakes the history (the read sees every commit
  // issued before it; what is published after it arrives live).
  const gate = new GatedSubscriber(conn, config.limits.maxOutboundBytes);
  const sub = { subscriber: gate, subId, pattern, qos: 'at-most-once' as const, group };
  noteSubscription(sub, { qos: 'at-most-once', order: options?.order ?? 'fifo' });
  conn.subscriptions.set(subId, sub);
  router.add(sub);
  durable.replay(pattern, from, MAX_REPLAY).then((history) => {
    if (conn.subscriptions.get(subId) !== sub) {
      conn.replyError(reqId, 'ERR_NOT_FOUND', `subscription ${subId} was cancelled before it was confirmed`);
      return;
    }
    conn.send([BrokerOp.ok, reqId, null]);
    // A retained message inside the replayed range comes once, as history.
    const replayed = new Set(history.map((m) => m.id));
    if (group === undefined) sendStored(conn, subId, durable.retained(pattern).filter((m) => !replayed.has(m.id)), MessageFlags.retained);
    sendStored(conn, subId, history, MessageFlags.replayed);
    gate.open();
  }, (err: unknown) => {
    conn.subscriptions.delete(subId);
    router.remove(sub);
    replyFailure(conn, reqId, err);
  });
}

function subscribeDurably(conn: Connection, reqId: number, subId: number, pattern: string, options: SubscribeWireOptions | null): void {
  const { durable } = conn.broker;
  const owner = { connectionId: conn.connectionId, clientId: conn.clientId, subId, user: conn.principal.user };
  const { name, transient } = subscriptionQueueName(owner, pattern, options?.durable ?? undefined, options?.group ?? undefined);
  const batch: StoreOp[] = [];
  // As MQTT 5's retain handling 1: retained messages go to a subscription that begins, not to one renewed
  // (its queue kept what was published meanwhile; resent, they would run an exactly-once handler again).
  let existing = durable.queues.get(name);
  const oldPattern = existing?.binding?.pattern;
  if (oldPattern !== undefined && oldPattern !== pattern && !conn.broker.security.mayPattern(conn.principal, 'subscribe', oldPattern)) {
    // Renewed on another pattern after a grant was withdrawn: what the queue kept under the old one, waiting,
    // still unacked at an old connection, or dead-lettered, is no longer this user's to read: it starts afresh
    // [docs/security.md].
    for (const old of [name, `${name}${DEAD_LETTER_SUFFIX}`]) if (durable.queues.get(old) !== undefined) durable.queues.delete(old, batch);
    existing = undefined;
  }
  const isNew = existing === undefined;
  // A non-durable subscription's dead letters are dropped with it; a durable one keeps them in `<name>.dlq`.
  let queue;
  try {
    queue = durable.queues.create(name, transient ? { deadLetterQueue: null } : {}, batch, { pattern, transient });
  } catch (err) {
    // limits.maxQueues: nothing was made.
    replyFailure(conn, reqId, err);
    return;
  }
  const consumer = new Consumer(conn, subId, options?.prefetch ?? DEFAULT_PREFETCH, false, isOrdered(options?.order), options?.qos === 'exactly-once');
  const binding = { queue, consumer };
  noteSubscription(binding, { qos: options?.qos ?? 'at-least-once', order: options?.order ?? 'fifo' });
  conn.consumers.set(subId, binding);
  durable.persister.commit(batch).then(() => {
    if (conn.consumers.get(subId) !== binding) {
      conn.replyError(reqId, 'ERR_NOT_FOUND', `subscription ${subId} was cancelled before it was confirmed`);
      return;
    }
    if (durable.queues.get(name) !== queue) {
      // The queue went meanwhile (its last group member left, or it was deleted): subscribe afresh.
      conn.consumers.delete(subId);
      subscribeDurably(conn, reqId, subId, pattern, options);
      return;
    }
    conn.send([BrokerOp.ok, reqId, { queue: name }]);
    if (options?.group == null && isNew) sendStored(conn, subId, durable.retained(pattern), MessageFlags.retained);
    queue.addConsumer(consumer);
  }, (err: unknown) => {
    conn.consumers.delete(subId);
    replyFailure(conn, reqId, err);
  });
}

function sendStored(conn: Connection, subId: number, messages: readonly StoredMessage[], flags: number): void {
  for (const message of messages) conn.sendDelivery(subId, message, 0, flags);
}
