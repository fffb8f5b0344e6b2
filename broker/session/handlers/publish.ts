import { fanOutAtMostOnce, unsupportedGuarantee, type FanOutResult } from '../../delivery/index.js';
import {
  BrokerOp, INBOX_ROOT, checkPublish, isBrokerTopic, requestIdOf, topicNameError, type PublishOp,
} from '../../protocol/index.js';
import type { Connection } from '../connection.js';
import { maxPayloadBytes } from '../limits.js';

const result: FanOutResult = { matched: 0, dropped: 0 };

/**
 * PUBLISH [protocol 2.3]. At-most-once, fifo: fanned out now, never stored.
 * Only failures are answered, unless the publisher asked for a confirm; a
 * request (replyTo + confirm) that matches no subscriber gets
 * ERR_NO_RESPONDERS at once instead of waiting for its timeout.
 */
export function handlePublish(conn: Connection, op: unknown[]): void {
  const bad = checkPublish(op);
  if (bad !== undefined) {
    conn.replyError(requestIdOf(op), 'ERR_BAD_REQUEST', bad);
    return;
  }
  const [, reqId, topic, payload, options] = op as PublishOp;
  const topicError = topicNameError(topic);
  if (topicError !== undefined) {
    conn.replyError(reqId, 'ERR_BAD_TOPIC', topicError);
    return;
  }
  if (isBrokerTopic(topic) && !topic.startsWith(`${INBOX_ROOT}/`)) {
    conn.replyError(reqId, 'ERR_FORBIDDEN', `topics starting with '$' are the broker's; only ${`${INBOX_ROOT}/`}... may be published to`);
    return;
  }
  const maxPayload = maxPayloadBytes(conn.broker.config.limits.maxFrameBytes);
  if (payload.length > maxPayload) {
    conn.replyError(reqId, 'ERR_LIMIT', `payload of ${payload.length} bytes exceeds the limit of ${maxPayload}`);
    return;
  }
  if (options?.replyTo != null) {
    const replyToError = topicNameError(options.replyTo);
    if (replyToError !== undefined) {
      conn.replyError(reqId, 'ERR_BAD_REQUEST', `replyTo: ${replyToError}`);
      return;
    }
  }
  if (options) {
    const unsupported = unsupportedGuarantee(options.qos, options.order, options.retain === true);
    if (unsupported !== undefined) {
      conn.replyError(reqId, 'ERR_UNSUPPORTED', unsupported);
      return;
    }
  }
  conn.messagesIn++;
  conn.broker.counters.messagesIn++;
  const replyTo = options?.replyTo ?? null;
  fanOutAtMostOnce(
    conn.broker.router, topic, payload, options?.headers ?? null, replyTo,
    conn.broker.nextSeq(), Date.now(), result,
  );
  if (options?.confirm !== true) return;
  if (replyTo !== null && result.matched === 0) {
    conn.replyError(reqId, 'ERR_NO_RESPONDERS', `no subscriber for '${topic}'`);
    return;
  }
  conn.send([BrokerOp.ok, reqId, { matched: result.matched, dropped: result.dropped }]);
}
