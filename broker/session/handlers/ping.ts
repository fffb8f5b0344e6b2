import { BrokerOp, checkRequestOnly, requestIdOf } from '../../protocol/index.js';
import type { Connection } from '../connection.js';

/**
 * PING [protocol 2.6]: answered with PONG after everything the client sent
 * before it has been processed — the client's flush() is a ping.
 */
export function handlePing(conn: Connection, op: unknown[]): void {
  const bad = checkRequestOnly(op);
  if (bad !== undefined) {
    conn.replyError(requestIdOf(op), 'ERR_BAD_REQUEST', bad);
    return;
  }
  conn.send([BrokerOp.pong, op[1]]);
}
