import { BrokerOp, checkUnsubscribe, requestIdOf, type UnsubscribeOp } from '../../protocol/index.js';
import type { Connection } from '../connection.js';

/** UNSUBSCRIBE [protocol 2.5]: no more deliveries for this subscription id once answered. */
export function handleUnsubscribe(conn: Connection, op: unknown[]): void {
  const bad = checkUnsubscribe(op);
  if (bad !== undefined) {
    conn.replyError(requestIdOf(op), 'ERR_BAD_REQUEST', bad);
    return;
  }
  const [, reqId, subId] = op as UnsubscribeOp;
  const sub = conn.subscriptions.get(subId);
  if (sub === undefined) {
    conn.replyError(reqId, 'ERR_NOT_FOUND', `no subscription ${subId} on this connection`);
    return;
  }
  conn.subscriptions.delete(subId);
  conn.broker.router.remove(sub);
  conn.send([BrokerOp.ok, reqId, null]);
}
