import { Consumer, queueNameError } from '../../durable/index.js';
import { BrokerOp, checkConsume, requestIdOf, type ConsumeOp } from '../../protocol/index.js';
import type { StoreOp } from '../../store/index.js';
import type { Connection } from '../connection.js';
import { forbidden } from './grants.js';
import { isOrdered, replyFailure } from './message-checks.js';

/** Unacked deliveries a consumer holds when it names no prefetch. */
export const DEFAULT_PREFETCH = 100;

/**
 * CONSUME [protocol 2.12]: the connection becomes a consumer of a queue
 * under a subscription id; deliveries follow the OK, at most `prefetch`
 * unacked at once. At-most-once consumers have their deliveries acked as they
 * are sent. Cancelled by UNSUBSCRIBE or the end of the connection, which gives
 * the unacked deliveries back to the queue. The broker's `$` queues (those of
 * subscriptions, dead-letter queues of them) may be consumed too.
 */
export function handleConsume(conn: Connection, op: unknown[]): void {
  const bad = checkConsume(op);
  if (bad !== undefined) {
    conn.replyError(requestIdOf(op), 'ERR_BAD_REQUEST', bad);
    return;
  }
  const [, reqId, subId, name, options] = op as ConsumeOp;
  const nameError = name.startsWith('$') ? undefined : queueNameError(name);
  if (nameError !== undefined) {
    conn.replyError(reqId, 'ERR_BAD_REQUEST', nameError);
    return;
  }
  const denied = forbidden(conn, 'consume', name);
  if (denied !== undefined) {
    conn.replyError(reqId, 'ERR_FORBIDDEN', denied);
    return;
  }
  if (conn.hasSubId(subId)) {
    conn.replyError(reqId, 'ERR_CONFLICT', `subscription id ${subId} is already in use on this connection`);
    return;
  }
  const max = conn.broker.config.limits.maxSubscriptionsPerConnection;
  if (conn.subscriptions.size + conn.consumers.size >= max) {
    conn.replyError(reqId, 'ERR_LIMIT', `a connection may hold at most ${max} subscriptions and consumers`);
    return;
  }
  // An at-most-once consumer's deliveries are acked as they are sent: it holds no unacked window.
  const unacked = options?.qos === 'at-most-once' ? undefined : conn.guard.unackedRefusal(conn.consumers.values(), options?.prefetch ?? DEFAULT_PREFETCH);
  if (unacked !== undefined) {
    conn.replyError(reqId, ...unacked);
    return;
  }
  const { durable } = conn.broker;
  const batch: StoreOp[] = [];
  let queue;
  try {
    queue = name.startsWith('$') ? durable.queues.get(name) : durable.queueForUse(name, batch);
  } catch (err) {
    replyFailure(conn, reqId, err);
    return;
  }
  if (queue === undefined) {
    conn.replyError(reqId, 'ERR_NOT_FOUND', `no queue ${name}`);
    return;
  }
  const consumer = new Consumer(conn, subId, options?.prefetch ?? DEFAULT_PREFETCH, options?.qos === 'at-most-once', isOrdered(options?.order), options?.qos === 'exactly-once');
  const binding = { queue, consumer };
  conn.consumers.set(subId, binding);
  durable.persister.commit(batch).then(() => {
    if (conn.consumers.get(subId) !== binding || durable.queues.get(name) !== queue) {
      // Cancelled, or the queue deleted, meanwhile.
      if (conn.consumers.get(subId) === binding) conn.consumers.delete(subId);
      conn.replyError(reqId, 'ERR_NOT_FOUND', `consumer ${subId} of ${name} ended before it was confirmed`);
      return;
    }
    conn.send([BrokerOp.ok, reqId, { queue: name }]);
    queue.addConsumer(consumer);
  }, (err: unknown) => {
    conn.consumers.delete(subId);
    replyFailure(conn, reqId, err);
  });
}
