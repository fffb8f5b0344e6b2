import { BrokerOp, checkRequestOnly, requestIdOf } from '../../protocol/index.js';
import type { Connection } from '../connection.js';

/** STATS [protocol 2.7]: broker-wide counters, rates and the connection list. */
export function handleStats(conn: Connection, op: unknown[]): void {
  const bad = checkRequestOnly(op);
  if (bad !== undefined) {
    conn.replyError(requestIdOf(op), 'ERR_BAD_REQUEST', bad);
    return;
  }
  conn.send([BrokerOp.ok, op[1], conn.broker.stats()]);
}
