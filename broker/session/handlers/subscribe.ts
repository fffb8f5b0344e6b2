import {
  BrokerOp, INBOX_ROOT, checkSubscribe, requestIdOf, topicPatternError, type SubscribeOp,
} from '../../protocol/index.js';
import type { Connection } from '../connection.js';
import { unsupportedGuarantee } from '../../delivery/index.js';

/**
 * SUBSCRIBE [protocol 2.4]: a pattern under a client-chosen subscription id.
 * Nothing under `$inbox` can be subscribed: each connection gets its own
 * inbox delivered without asking, so replies stay private [protocol 3.3].
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
  if (pattern === INBOX_ROOT || pattern.startsWith(`${INBOX_ROOT}/`)) {
    conn.replyError(reqId, 'ERR_FORBIDDEN', 'inboxes are delivered to their owner without subscribing');
    return;
  }
  if (options) {
    const unsupported = unsupportedGuarantee(options.qos, options.order, false, options.durable);
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
