import {
  BrokerOp, checkSubscribe, isBrokerTopic, requestIdOf, topicPatternError, type SubscribeOp,
} from '../../protocol/index.js';
import type { Connection } from '../connection.js';
import { unsupportedOption } from './publish.js';

/**
 * SUBSCRIBE [protocol 2.4]: a pattern under a client-chosen subscription id.
 * `$inbox/<id>/...` may only be subscribed by the connection whose hello
 * named inbox `<id>`, so replies stay private [protocol 3.3].
 */
export function handleSubscribe(conn: Connection, op: unknown[]): void {
  const bad = checkSubscribe(op);
  if (bad !== undefined) {
    conn.replyError(requestIdOf(op), 'ERR_BAD_REQUEST', bad);
    return;
  }
  const [, reqId, subId, pattern, options] = op as SubscribeOp;
  const patternError = topicPatternError(pattern);
  if (patternError !== undefined) {
    conn.replyError(reqId, 'ERR_BAD_PATTERN', patternError);
    return;
  }
  if (isBrokerTopic(pattern) && pattern.startsWith('$inbox') && !isOwnInbox(conn, pattern)) {
    conn.replyError(reqId, 'ERR_FORBIDDEN', 'only the owner of an inbox may subscribe to it');
    return;
  }
  if (options) {
    const unsupported = unsupportedOption(options.qos, options.order, false)
      ?? (options.durable ? 'durable subscriptions are not supported yet' : undefined);
    if (unsupported !== undefined) {
      conn.replyError(reqId, 'ERR_UNSUPPORTED', unsupported);
      return;
    }
  }
  if (conn.subscriptions.has(subId)) {
    conn.replyError(reqId, 'ERR_CONFLICT', `subscription id ${subId} is already in use on this connection`);
    return;
  }
  const max = conn.broker.config.limits.maxSubscriptionsPerConnection;
  if (conn.subscriptions.size >= max) {
    conn.replyError(reqId, 'ERR_LIMIT', `a connection may hold at most ${max} subscriptions`);
    return;
  }
  const sub = { subscriber: conn, subId, pattern, qos: 'at-most-once' as const, group: options?.group ?? undefined };
  conn.subscriptions.set(subId, sub);
  conn.broker.router.add(sub);
  conn.send([BrokerOp.ok, reqId, null]);
}

function isOwnInbox(conn: Connection, pattern: string): boolean {
  if (conn.inbox === undefined) return false;
  const prefix = `$inbox/${conn.inbox}`;
  return pattern === prefix || pattern.startsWith(`${prefix}/`);
}
