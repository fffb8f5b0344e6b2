import { BrokerOp, checkUnsubscribe, requestIdOf, type UnsubscribeOp } from '../../protocol/index.js';
import type { Connection } from '../connection.js';
import { replyFailure } from './message-checks.js';

/**
 * UNSUBSCRIBE [protocol 2.5]: no more deliveries for this subscription id
 * once answered. For a consumer (or at-least-once subscription) its unacked
 * deliveries go back to the queue first; a durable subscription's queue
 * stays, keeping messages for the next subscriber of that name.
 */
export function handleUnsubscribe(conn: Connection, op: unknown[]): void {
  const bad = checkUnsubscribe(op);
  if (bad !== undefined) {
    conn.replyError(requestIdOf(op), 'ERR_BAD_REQUEST', bad);
    return;
  }
  const [, reqId, subId] = op as UnsubscribeOp;
  const sub = conn.subscriptions.get(subId);
  if (sub !== undefined) {
    conn.subscriptions.delete(subId);
    conn.broker.router.remove(sub);
    conn.send([BrokerOp.ok, reqId, null]);
    return;
  }
  const binding = conn.consumers.get(subId);
  if (binding === undefined) {
    conn.replyError(reqId, 'ERR_NOT_FOUND', `no subscription ${subId} on this connection`);
    return;
  }
  conn.consumers.delete(subId);
  // What it held back for that subscription will not come now.
  conn.flushPending();
  conn.broker.durable.detach(binding.queue, binding.consumer).then(
    () => conn.send([BrokerOp.ok, reqId, null]),
    (err: unknown) => replyFailure(conn, reqId, err),
  );
}
