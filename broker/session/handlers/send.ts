import { queueNameError } from '../../durable/index.js';
import { BrokerOp, checkSend, requestIdOf, type SendOp } from '../../protocol/index.js';
import type { Connection } from '../connection.js';
import { forbidden, forbiddenRefusal } from './grants.js';
import { accepted, messageError, orderOf, producerSeqOf, replyFailure } from './message-checks.js';

/**
 * SEND [protocol 2.11]: a message for one consumer of a queue. Always
 * stored; answered OK {id} after the commit (reqId 0 asks for no OK, which
 * is what an at-most-once send is). ERR_NOT_FOUND for a missing queue when
 * queues are not created on first use, ERR_LIMIT for a full queue that
 * rejects, ERR_FORBIDDEN for the broker's own `$` queues. Exactly-once:
 * a retry of a producer's sequence is answered OK {id, duplicate: true} with
 * the original's id, and stores nothing [semantics 1.3].
 */
export function handleSend(conn: Connection, op: unknown[]): void {
  const bad = checkSend(op);
  if (bad !== undefined) {
    conn.replyError(requestIdOf(op), 'ERR_BAD_REQUEST', bad);
    return;
  }
  const [, reqId, queue, payload, options] = op as SendOp;
  const nameError = queueNameError(queue);
  if (nameError !== undefined) {
    conn.replyError(reqId, queue.startsWith('$') ? 'ERR_FORBIDDEN' : 'ERR_BAD_REQUEST', nameError);
    return;
  }
  // The ACL before messageError, which counts the message and claims its producer id.
  const refused = conn.guard.admit(1, payload.length, true) ?? forbiddenRefusal(forbidden(conn, 'send', queue)) ?? messageError(conn, payload, options, 'at-least-once');
  if (refused !== undefined) {
    conn.replyError(reqId, ...refused);
    return;
  }
  const incoming = { payload, headers: options?.headers ?? null, replyTo: options?.replyTo ?? null, order: orderOf(conn, options, queue) };
  const sendOptions = { priority: options?.priority ?? 0, delayMs: options?.delayMs ?? 0, ttlMs: options?.ttlMs ?? null };
  let sent: Promise<{ id: number; duplicate?: true }>;
  try {
    sent = conn.broker.durable.send(queue, incoming, sendOptions, producerSeqOf(conn, options));
    accepted(conn);
    conn.guard.track(sent);
  } catch (err) {
    replyFailure(conn, reqId, err);
    return;
  }
  sent.then(
    (result) => {
      if (reqId !== 0) conn.send([BrokerOp.ok, reqId, result]);
    },
    (err: unknown) => replyFailure(conn, reqId, err),
  );
}
