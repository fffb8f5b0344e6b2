import { QUEUE_ACTIONS, type ClientOp, type ConsumeWireOptions, type QueueAction, type SendWireOptions } from './ops.js';
import {
  MAX_PREFETCH, headersError, integerOption, isId, isPlainObject, optionalType, qosOrderError,
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
    ?? integerOption(options, 'ttlMs', 1, MAX_DELAY_MS);
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

/** ack [9, reqId, subId, ids], nack [10, reqId, subId, ids, options|nil], extend [11, reqId, subId, ids, ms]. */
export function checkSettle(op: unknown[], name: 'ack' | 'nack' | 'extend'): string | undefined {
  const shape = name === 'ack' ? '[9, reqId, subId, ids]' : name === 'nack' ? '[10, reqId, subId, ids, options]' : '[11, reqId, subId, ids, ms]';
  if (op.length < 4 || op.length > (name === 'ack' ? 4 : 5)) return `${name} takes ${shape}`;
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
    return optionalType(options, 'requeue', 'boolean') ?? integerOption(options, 'delayMs', 0, MAX_DELAY_MS);
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
  if (args !== undefined && args !== null && !isPlainObject(args)) return 'queue args must be a map or nil';
  return undefined;
}

function isDeliveryTag(value: unknown): boolean {
  const isPositive = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
  return isPositive(value) || (Array.isArray(value) && value.length === 2 && isPositive(value[0]) && isPositive(value[1]));
}
