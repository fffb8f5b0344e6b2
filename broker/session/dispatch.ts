import { OrdoError } from '../errors/index.js';
import { ClientOp, requestIdOf } from '../protocol/index.js';
import type { Connection } from './connection.js';
import { handleHello } from './handlers/hello.js';
import { handlePublish } from './handlers/publish.js';
import { handleSubscribe } from './handlers/subscribe.js';
import { handleUnsubscribe } from './handlers/unsubscribe.js';
import { handlePing } from './handlers/ping.js';
import { handleStats } from './handlers/stats.js';
import { handleSend } from './handlers/send.js';
import { handleConsume } from './handlers/consume.js';
import { handleSettle } from './handlers/settle.js';
import { handleAckPublish } from './handlers/ack-publish.js';
import { handleQueueAdmin } from './handlers/queue-admin.js';
import { handleAcl, handleToken, handleUser } from './handlers/security-admin.js';
import { handleAdmin } from './handlers/admin.js';

type Handler = (conn: Connection, op: unknown[]) => void;

/** One handler per client operation code [protocol 2]. */
const HANDLERS: Record<number, Handler> = {
  [ClientOp.publish]: handlePublish,
  [ClientOp.subscribe]: handleSubscribe,
  [ClientOp.unsubscribe]: handleUnsubscribe,
  [ClientOp.ping]: handlePing,
  [ClientOp.stats]: handleStats,
  [ClientOp.send]: handleSend,
  [ClientOp.consume]: handleConsume,
  [ClientOp.ack]: handleSettle,
  [ClientOp.nack]: handleSettle,
  [ClientOp.extend]: handleSettle,
  [ClientOp.received]: handleSettle,
  [ClientOp.complete]: handleSettle,
  [ClientOp.ackPublish]: handleAckPublish,
  [ClientOp.queue]: handleQueueAdmin,
  [ClientOp.user]: handleUser,
  [ClientOp.acl]: handleAcl,
  [ClientOp.token]: handleToken,
  [ClientOp.admin]: handleAdmin,
};

/**
 * Routes one operation to its handler. Before the handshake only hello is
 * accepted, and hello only then [protocol 2.1].
 */
export function dispatch(conn: Connection, op: unknown): void {
  if (!Array.isArray(op) || typeof op[0] !== 'number') {
    if (conn.state === 'handshake') {
      conn.fail(new OrdoError('ERR_HANDSHAKE', 'the first operation must be hello'));
    } else {
      conn.replyError(requestIdOf(op), 'ERR_BAD_REQUEST', 'an operation must be an array starting with its code');
    }
    return;
  }
  const code = op[0];
  if (conn.state === 'handshake' || code === ClientOp.hello) {
    if (conn.state !== 'handshake' || code !== ClientOp.hello) {
      conn.fail(new OrdoError('ERR_HANDSHAKE'));
      return;
    }
    handleHello(conn, op);
    return;
  }
  const handler = HANDLERS[code];
  if (handler === undefined) {
    conn.replyError(requestIdOf(op), 'ERR_UNKNOWN_OP', `unknown operation code ${code}`);
    return;
  }
  handler(conn, op);
}
