import { queueNameError, type Output } from '../../durable/index.js';
import { BrokerOp, checkAckPublish, requestIdOf, type AckPublishOp, type AckPublishOutput } from '../../protocol/index.js';
import type { ErrorCode } from '../../errors/index.js';
import type { Connection } from '../connection.js';
import { forbidden, forbiddenPublish } from './grants.js';
import { maxPayloadBytes } from '../limits.js';
import { accepted, countIn, publishTopicError, replyFailure } from './message-checks.js';

/**
 * ACKPUBLISH [protocol 2.16]: acks deliveries of one consumer and stores
 * new messages (to topics, at-least-once, or to queues) in one commit, so a
 * consume-transform-publish step happens whole or not at all. Answered OK
 * {ids} (the new messages' ids, in order) after the fsynced commit (reqId 0
 * asks for no OK). Refused
 * whole, with nothing acked or stored, when any output or tag is bad.
 */
export function handleAckPublish(conn: Connection, op: unknown[]): void {
  const bad = checkAckPublish(op);
  if (bad !== undefined) {
    conn.replyError(requestIdOf(op), 'ERR_BAD_REQUEST', bad);
    return;
  }
  const [, reqId, subId, tags, outputs] = op as AckPublishOp;
  const binding = conn.consumers.get(subId);
  if (binding === undefined) {
    conn.replyError(reqId, 'ERR_NOT_FOUND', `no consumer or stored subscription ${subId} on this connection`);
    return;
  }
  const maxPayload = maxPayloadBytes(conn.broker.config.limits.maxFrameBytes);
  const checked: Output[] = [];
  for (const [i, output] of outputs.entries()) {
    const refused = outputError(output, maxPayload) ?? outputForbidden(conn, output);
    if (refused !== undefined) {
      conn.replyError(reqId, refused[0], `ack-publish output ${i}: ${refused[1]}; nothing was acked or published`);
      return;
    }
    const headers = output.headers ?? null;
    checked.push(output.queue !== undefined ? { queue: output.queue, payload: output.payload, headers } : { topic: output.topic!, payload: output.payload, headers });
  }
  // Outputs are stored messages: they count against the quota and are refused under a resource alarm (a bare ack is not).
  const limited = conn.guard.admit(checked.length, checked.reduce((sum, o) => sum + o.payload.length, 0), true);
  if (limited !== undefined) {
    conn.replyError(reqId, limited[0], `${limited[1]}; nothing was acked or published`);
    return;
  }
  conn.messagesIn += checked.length;
  countIn(conn.broker.counters, 'at-least-once', checked.length);
  const stored = conn.broker.durable.ackAndPublish(binding.queue, binding.consumer, tags, checked);
  // Its outputs are in the causal past of what this client publishes next.
  accepted(conn);
  conn.guard.track(stored);
  stored.then(
    (ids) => {
      if (reqId !== 0) conn.send([BrokerOp.ok, reqId, { ids }]);
    },
    (err: unknown) => replyFailure(conn, reqId, err),
  );
}

/** Why the connection's user may not publish or send this output, or undefined [docs/security.md]. */
function outputForbidden(conn: Connection, output: AckPublishOutput): [ErrorCode, string] | undefined {
  const denied = output.queue !== undefined ? forbidden(conn, 'send', output.queue) : forbiddenPublish(conn, output.topic!, true);
  return denied === undefined ? undefined : ['ERR_FORBIDDEN', denied];
}

/** Why one output cannot be stored, or undefined (publish's and send's rules). */
function outputError(output: AckPublishOutput, maxPayload: number): [ErrorCode, string] | undefined {
  if (output.payload.length > maxPayload) return ['ERR_LIMIT', `payload of ${output.payload.length} bytes exceeds the limit of ${maxPayload}`];
  if (output.queue !== undefined) {
    const nameError = queueNameError(output.queue);
    if (nameError !== undefined) return [output.queue.startsWith('$') ? 'ERR_FORBIDDEN' : 'ERR_BAD_REQUEST', nameError];
    return undefined;
  }
  return publishTopicError(output.topic!);
}
