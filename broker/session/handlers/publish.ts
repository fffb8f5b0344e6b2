import { fanOutAtMostOnce, type FanOutResult } from '../../delivery/index.js';
import { BrokerOp, checkPublish, requestIdOf, type PublishOp } from '../../protocol/index.js';
import type { Connection } from '../connection.js';
import { forbiddenPublish, forbiddenRefusal } from './grants.js';
import { accepted, messageError, orderOf, producerSeqOf, publishTopicError, replyFailure } from './message-checks.js';

const result: FanOutResult = { matched: 0, dropped: 0 };

/**
 * PUBLISH [protocol 2.3]. At-most-once: fanned out now, never stored; only
 * failures are answered, unless the publisher asked for a confirm (a request
 * — replyTo + confirm — that matches no subscriber gets ERR_NO_RESPONDERS at
 * once instead of waiting for its timeout). At-least-once, exactly-once or
 * retained: stored, and confirmed with OK {id, matched, dropped} after the
 * commit (reqId 0 asks for no OK) [semantics 1.2]; a retry of an exactly-once
 * producer's sequence gets the original's {id, duplicate: true} [semantics 1.3].
 */
export function handlePublish(conn: Connection, op: unknown[]): void {
  const bad = checkPublish(op);
  if (bad !== undefined) {
    conn.replyError(requestIdOf(op), 'ERR_BAD_REQUEST', bad);
    return;
  }
  const [, reqId, topic, payload, options] = op as PublishOp;
  const isStored = options?.qos === 'at-least-once' || options?.qos === 'exactly-once' || options?.retain === true;
  // The ACL before messageError, which counts the message and claims its producer id.
  const refused = publishTopicError(topic) ?? conn.guard.admit(1, payload.length, isStored)
    ?? forbiddenRefusal(forbiddenPublish(conn, topic, isStored)) ?? messageError(conn, payload, options);
  if (refused !== undefined) {
    conn.replyError(reqId, ...refused);
    return;
  }
  const replyTo = options?.replyTo ?? null;
  const isAtLeastOnce = options?.qos === 'at-least-once' || options?.qos === 'exactly-once';
  const order = orderOf(conn, options, topic);
  if (isAtLeastOnce || options?.retain === true) {
    const incoming = { topic, payload, headers: options?.headers ?? null, replyTo, order };
    const stored = conn.broker.durable.publish(incoming, isAtLeastOnce, options?.retain === true, producerSeqOf(conn, options));
    accepted(conn);
    conn.guard.track(stored);
    stored.then(
      (stored) => {
        if (reqId !== 0) conn.send([BrokerOp.ok, reqId, stored]);
      },
      (err: unknown) => replyFailure(conn, reqId, err),
    );
    return;
  }
  fanOutAtMostOnce(
    conn.broker.router, topic, payload, options?.headers ?? null, replyTo,
    conn.broker.nextSeq(), Date.now(), result, order,
  );
  accepted(conn);
  if (options?.confirm !== true) return;
  if (replyTo !== null && result.matched === 0) {
    conn.replyError(reqId, 'ERR_NO_RESPONDERS', `no subscriber for '${topic}'`);
    return;
  }
  conn.send([BrokerOp.ok, reqId, { matched: result.matched, dropped: result.dropped }]);
}
