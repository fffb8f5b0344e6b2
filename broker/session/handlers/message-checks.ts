import type { ProducerSeq } from '../../durable/index.js';
import type { ErrorCode } from '../../errors/index.js';
import { orderStamp } from '../../ordering/index.js';
import { INBOX_PREFIX, INBOX_ROOT, isBrokerTopic, topicNameError, type Order, type Qos } from '../../protocol/index.js';
import type { MessageOrder } from '../../store/index.js';
import type { Connection } from '../connection.js';
import type { BrokerCounters } from '../context.js';
import { maxPayloadBytes } from '../limits.js';

/** The options publish and send share. */
interface MessageOptions {
  readonly replyTo?: string | null;
  readonly qos?: string | null;
  readonly order?: Order | null;
  readonly producer?: string | null;
  readonly pseq?: number | null;
  readonly after?: number | null;
}

/**
 * Why a message is refused for its payload, replyTo or guarantees (publish
 * and send share these rules), or undefined. Counts it in when accepted,
 * under its `qos`, or `defaultQos` when it names none.
 */
export function messageError(
  conn: Connection, payload: Uint8Array, options: MessageOptions | null | undefined, defaultQos: Qos = 'at-most-once',
): [ErrorCode, string] | undefined {
  const maxPayload = maxPayloadBytes(conn.broker.config.limits.maxFrameBytes);
  if (payload.length > maxPayload) return ['ERR_LIMIT', `payload of ${payload.length} bytes exceeds the limit of ${maxPayload}`];
  if (options?.replyTo != null) {
    const replyToError = topicNameError(options.replyTo);
    if (replyToError !== undefined) return ['ERR_BAD_REQUEST', `replyTo: ${replyToError}`];
  }
  if (options?.qos === 'exactly-once' && (options.producer == null || options.pseq == null)) {
    return ['ERR_BAD_REQUEST', 'qos exactly-once needs a producer id and a sequence (options producer and pseq)'];
  }
  if (options?.producer != null) {
    const holder = conn.broker.producerClaims.claim(brokerProducerId(conn, options.producer), conn.connectionId);
    if (holder !== true) return ['ERR_CONFLICT', `producer ${options.producer} is held by another connection (${holder}), which named it in its hello later: one producer id, one client`];
  }
  conn.messagesIn++;
  countIn(conn.broker.counters, options?.qos ?? defaultQos, 1);
  return undefined;
}

/** Counts `n` messages accepted under guarantee `qos` (BrokerCounters). */
export function countIn(counters: BrokerCounters, qos: string, n: number): void {
  counters.messagesIn += n;
  if (qos === 'at-least-once') counters.inAtLeastOnce += n;
  else if (qos === 'exactly-once') counters.inExactlyOnce += n;
  else counters.inAtMostOnce += n;
}

/**
 * Stamps a message about to be accepted from `conn` for `destination` (a
 * topic, or a queue's name) with its causal or total order [semantics 2];
 * undefined for fifo. Call accepted() once it has its id.
 */
export function orderOf(conn: Connection, options: MessageOptions | null | undefined, destination: string): MessageOrder | undefined {
  if (!isOrdered(options?.order)) return undefined;
  const past = { after: options?.after ?? 0, lastAccepted: conn.lastAccepted, lastSeq: conn.broker.lastSeq() };
  return orderStamp(options?.order, past, conn.broker.scopes, destination);
}

/** The message just taken from `conn` has the broker's last id: it is in the causal past of the next one. */
export function accepted(conn: Connection): void {
  conn.lastAccepted = conn.broker.lastSeq();
}

/** True for causal and total order. */
export function isOrdered(order: Order | null | undefined): order is 'causal' | 'total' {
  return order === 'causal' || order === 'total';
}

/** Why a topic cannot be published to (publish and ack-publish share it), or undefined. */
export function publishTopicError(topic: string): [ErrorCode, string] | undefined {
  const topicError = topicNameError(topic);
  if (topicError !== undefined) return ['ERR_BAD_TOPIC', topicError];
  if (isBrokerTopic(topic) && !topic.startsWith(INBOX_PREFIX)) {
    return ['ERR_FORBIDDEN', `topics starting with '$' are the broker's; only ${INBOX_ROOT}/... may be published to`];
  }
  return undefined;
}

/**
 * The broker's key of a client's producer id: with auth on, the user's name
 * and the id, so that one user can neither take over nor read another's
 * producer (its claims, its sequences) by naming it [docs/security.md].
 */
export function brokerProducerId(conn: Connection, producer: string): string {
  return conn.principal.user === '' ? producer : `${conn.principal.user}/${producer}`;
}

/** An idempotent message's producer (as the broker keys it) and sequence, when it names them. */
export function producerSeqOf(conn: Connection, options: MessageOptions | null | undefined): ProducerSeq | undefined {
  return options?.producer != null && options.pseq != null ? { producer: brokerProducerId(conn, options.producer), seq: options.pseq } : undefined;
}

/** Answers a failed stored operation: its OrdoError code, or ERR_INTERNAL. */
export function replyFailure(conn: Connection, reqId: number, err: unknown): void {
  const code = (err as { code?: ErrorCode }).code;
  conn.replyError(reqId, typeof code === 'string' && code.startsWith('ERR_') ? code : 'ERR_INTERNAL', (err as Error).message);
}
