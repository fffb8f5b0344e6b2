import { BrokerOp, checkRequestOnly, requestIdOf } from '../../protocol/index.js';
import type { Connection } from '../connection.js';
import { forbiddenAdmin } from './grants.js';

/** STATS [protocol 2.7]: broker-wide counters, rates and the connection list. */
export function handleStats(conn: Connection, op: unknown[]): void {
  const bad = checkRequestOnly(op);
  if (bad !== undefined) {
    conn.replyError(requestIdOf(op), 'ERR_BAD_REQUEST', bad);
    return;
  }
  const denied = forbiddenAdmin(conn, 'read the broker statistics');
  if (denied !== undefined) {
    conn.replyError(op[1] as number, 'ERR_FORBIDDEN', denied);
    return;
  }
  conn.send([BrokerOp.ok, op[1], conn.broker.stats()]);
}
