import { QUEUE_ACTIONS, type ClientOp, type ConsumeWireOptions, type QueueAction, type SendWireOptions } from './ops.js';
import {
  MAX_PREFETCH, headersError, integerOption, isId, isPlainObject, optionalType, producerError, qosOrderError,
} from './validate-op.js';

/**
 * Shape checks of the queue operations [protocol 2.11–2.14], as validate-op.ts
 * does for the others: each returns why an operation is malformed, or
 * undefined when the caller may treat it as the typed tuple.
 */

export type SendOp = [typeof ClientOp.send, number, string, Uint8Array, SendWireOptions | null];
export type ConsumeOp = [typeof ClientOp.consume, number, number, string, ConsumeWireOptions | null];
/** A delivery a settle names: its message's seq, or [seq, deliveries] to name that delivery alone [protocol 2.13]. */
export type DeliveryTag = number | [number, number];
export type SettleOp = [number, number, number, DeliveryTag[], unknown];
export type QueueOp = [typeof ClientOp.queue, number, QueueAction, string | null, unknown];

/** 100 years, ms: the longest delay or TTL (anything longer is a unit mistake). */
export const MAX_DELAY_MS = 100 * 365.25 * 24 * 3_600_000;
/** 12 hours, ms: the longest ack deadline extension. */
export const MAX_EXTEND_MS = 12 * 3_600_000;
/** Most delivery ids one ack, nack or extend may carry. */
export const MAX_SETTLE_IDS = 10_000;

export function checkSend(op: unknown[]): string | undefined {
  if (op.length < 4 || op.length > 5) return 'send takes [7, reqId, queue, payload, options]';
  if (!isId(op[1], true)) return 'send reqId must be a uint32';
  if (typeof op[2] !== 'string') return 'send queue must be a string';
  if (!(op[3] instanceof Uint8Array)) return 'send payload must be bin (the MessagePack encoding of the value)';
  const options = op[4];
  if (options === undefined || options === null) return undefined;
  if (!isPlainObject(options)) return 'send options must be a map or nil';
  return qosOrderError(options)
    ?? optionalType(options, 'replyTo', 'string')
    ?? headersError(options.headers)
    ?? integerOption(options, 'priority', 0, 9)
    ?? integerOption(options, 'delayMs', 0, MAX_DELAY_MS)
    ?? integerOption(options, 'ttlMs', 1, MAX_DELAY_MS)
    ?? producerError(options)
    ?? integerOption(options, 'after', 0, Number.MAX_SAFE_INTEGER)
    ?? orderedSendError(options);
}

/**
 * A causal or total message takes no priority and no delay: a priority
 * would send it ahead of what it is ordered after (and a consumer would hold
 * it, its window full, while what it waits for cannot come); a delay would
 * hold up everything ordered after it.
 */
function orderedSendError(options: Record<string, unknown>): string | undefined {
  if (options.order !== 'causal' && options.order !== 'total') return undefined;
  if ((options.priority ?? 0) !== 0) return `a ${options.order as string} message takes no priority: it would overtake what it is ordered after`;
  if ((options.delayMs ?? 0) !== 0) return `a ${options.order as string} message takes no delayMs: it would hold up what is ordered after it`;
  return undefined;
}

export function checkConsume(op: unknown[]): string | undefined {
  if (op.length < 4 || op.length > 5) return 'consume takes [8, reqId, subId, queue, options]';
  if (!isId(op[1], true)) return 'consume reqId must be a uint32';
  if (!isId(op[2], false)) return 'consume subId must be a uint32 greater than 0';
  if (typeof op[3] !== 'string') return 'consume queue must be a string';
  const options = op[4];
  if (options === undefined || options === null) return undefined;
  if (!isPlainObject(options)) return 'consume options must be a map or nil';
  return qosOrderError(options) ?? integerOption(options, 'prefetch', 1, MAX_PREFETCH);
}

/** The operations that settle deliveries, and their shapes [protocol 2.13, 2.15]. */
const SETTLE_SHAPES = {
  ack: '[9, reqId, subId, ids]',
  nack: '[10, reqId, subId, ids, options]',
  extend: '[11, reqId, subId, ids, ms]',
  received: '[13, reqId, subId, ids]',
  complete: '[14, reqId, subId, ids]',
} as const;
export type SettleName = keyof typeof SETTLE_SHAPES;

/** ack, nack, extend, received and complete: a subscription id and delivery tags (nack: options; extend: ms). */
export function checkSettle(op: unknown[], name: SettleName): string | undefined {
  const hasExtra = name === 'nack' || name === 'extend';
  if (op.length < 4 || op.length > (hasExtra ? 5 : 4)) return `${name} takes ${SETTLE_SHAPES[name]}`;
  if (!isId(op[1], true)) return `${name} reqId must be a uint32`;
  if (!isId(op[2], false)) return `${name} subId must be a uint32 greater than 0`;
  const ids = op[3];
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_SETTLE_IDS) return `${name} ids must be an array of 1 to ${MAX_SETTLE_IDS} delivery ids`;
  for (const id of ids) if (!isDeliveryTag(id)) return `${name} ids must be seqs (positive integers) or [seq, deliveries] pairs`;
  if (name === 'extend') {
    const ms = op[4];
    return typeof ms === 'number' && Number.isInteger(ms) && ms >= 0 && ms <= MAX_EXTEND_MS ? undefined : `extend ms must be an integer from 0 to ${MAX_EXTEND_MS}`;
  }
  if (name === 'nack') {
    const options = op[4];
    if (options === undefined || options === null) return undefined;
    if (!isPlainObject(options)) return 'nack options must be a map or nil';
    return optionalType(options, 'requeue', 'boolean') ?? optionalType(options, 'release', 'boolean') ?? integerOption(options, 'delayMs', 0, MAX_DELAY_MS);
  }
  return undefined;
}

/** Most messages one ack-publish may store. */
export const MAX_ACK_PUBLISH_OUTPUTS = 1000;

/** One message of an ack-publish: {topic | queue, payload, headers?} [protocol 2.16]. */
export interface AckPublishOutput {
  topic?: string;
  queue?: string;
  payload: Uint8Array;
  headers?: Record<string, string> | null;
}
export type AckPublishOp = [typeof ClientOp.ackPublish, number, number, DeliveryTag[], AckPublishOutput[]];

/** ack-publish [15, reqId, subId, ids, outputs]: the ack's shape plus 1 to 1000 outputs. */
export function checkAckPublish(op: unknown[]): string | undefined {
  if (op.length !== 5) return 'ack-publish takes [15, reqId, subId, ids, outputs]';
  const bad = checkSettle(op.slice(0, 4), 'ack');
  if (bad !== undefined) return `ack-publish: ${bad}`;
  const outputs = op[4];
  if (!Array.isArray(outputs) || outputs.length === 0 || outputs.length > MAX_ACK_PUBLISH_OUTPUTS) {
    return `ack-publish outputs must be an array of 1 to ${MAX_ACK_PUBLISH_OUTPUTS} messages`;
  }
  for (const [i, o] of outputs.entries()) {
    if (!isPlainObject(o)) return `ack-publish output ${i} must be a map {topic | queue, payload, headers}`;
    // Exactly one of them, and the other absent: a nil would pass a string check on one side and reach the handler as null.
    const hasTopic = o.topic !== undefined;
    if (hasTopic === (o.queue !== undefined) || typeof (hasTopic ? o.topic : o.queue) !== 'string') {
      return `ack-publish output ${i} needs a topic or a queue (a string, and not both)`;
    }
    if (!(o.payload instanceof Uint8Array)) return `ack-publish output ${i} payload must be bin`;
    const headers = headersError(o.headers);
    if (headers !== undefined) return `ack-publish output ${i}: ${headers}`;
  }
  return undefined;
}

export function checkQueueOp(op: unknown[]): string | undefined {
  if (op.length < 3 || op.length > 5) return 'queue takes [12, reqId, action, name, args]';
  if (!isId(op[1], true)) return 'queue reqId must be a uint32';
  if (!(QUEUE_ACTIONS as readonly unknown[]).includes(op[2])) return `queue action must be one of ${QUEUE_ACTIONS.join(', ')}`;
  const name = op[3];
  if (op[2] === 'list') return undefined;
  if (typeof name !== 'string') return `queue ${String(op[2])} needs a queue name`;
  const args = op[4];
  if (args === undefined || args === null) return undefined;
  if (!isPlainObject(args)) return 'queue args must be a map or nil';
  if (op[2] !== 'purge' && op[2] !== 'move') return undefined;
  return integerOption(args, 'max', 1, Number.MAX_SAFE_INTEGER)
    ?? (op[2] === 'move' && args.to != null && (typeof args.to !== 'string' || args.to === '') ? 'queue move args.to must be a queue name' : undefined);
}

function isDeliveryTag(value: unknown): boolean {
  const isPositive = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
  return isPositive(value) || (Array.isArray(value) && value.length === 2 && isPositive(value[0]) && isPositive(value[1]));
}
