import {
  ClientOp, ORDERS, QOS_LEVELS,
  type Hello, type PublishWireOptions, type SubscribeWireOptions,
} from './ops.js';

/**
 * Shape checks of client operations [protocol 2]. Each check returns the
 * reason an operation is malformed, or undefined when the caller may treat it
 * as the typed tuple. They read the decoded array in place: no copy, no
 * allocation on the publish path.
 */

export type HelloOp = [typeof ClientOp.hello, Hello];
export type PublishOp = [typeof ClientOp.publish, number, string, Uint8Array, PublishWireOptions | null];
export type SubscribeOp = [typeof ClientOp.subscribe, number, number, string, SubscribeWireOptions | null];
export type UnsubscribeOp = [typeof ClientOp.unsubscribe, number, number];

/** Largest request or subscription id: ids are uint32 on the wire. */
export const MAX_ID = 0xffff_ffff;

/** The request id an operation carries, or 0 when it carries none we can read. */
export function requestIdOf(op: unknown): number {
  if (!Array.isArray(op)) return 0;
  const id = op[1];
  return isId(id, true) ? id : 0;
}

/** HELLO's optional string fields and their longest lengths [protocol 2.1]. */
const HELLO_STRINGS = [['clientId', 256], ['agent', 256], ['username', 256], ['password', 1024], ['token', 2048]] as const;

export function checkHello(op: unknown[]): string | undefined {
  const hello = op[1];
  if (!isPlainObject(hello)) return 'hello must be a map';
  const version = hello.version;
  const versionsOk = typeof version === 'number' || (Array.isArray(version) && version.every((v) => typeof v === 'number'));
  if (!versionsOk) return 'hello.version must be a number or an array of numbers';
  if (hello.producer != null && !isProducerId(hello.producer)) return `hello.producer must be a string of 1 to ${MAX_PRODUCER_CHARS} characters`;
  for (const [key, max] of HELLO_STRINGS) {
    const v = hello[key];
    if (v !== undefined && v !== null && (typeof v !== 'string' || v.length > max)) {
      return `hello.${key} must be a string of at most ${max} characters`;
    }
  }
  return undefined;
}

export function checkPublish(op: unknown[]): string | undefined {
  if (op.length < 4 || op.length > 5) return 'publish takes [2, reqId, topic, payload, options]';
  if (!isId(op[1], true)) return 'publish reqId must be a uint32';
  if (typeof op[2] !== 'string') return 'publish topic must be a string';
  if (!(op[3] instanceof Uint8Array)) return 'publish payload must be bin (the MessagePack encoding of the value)';
  const options = op[4];
  if (options === undefined || options === null) return undefined;
  if (!isPlainObject(options)) return 'publish options must be a map or nil';
  return qosOrderError(options)
    ?? optionalType(options, 'retain', 'boolean')
    ?? optionalType(options, 'confirm', 'boolean')
    ?? optionalType(options, 'replyTo', 'string')
    ?? headersError(options.headers)
    ?? producerError(options)
    ?? integerOption(options, 'after', 0, Number.MAX_SAFE_INTEGER);
}

/** Longest producer id. */
export const MAX_PRODUCER_CHARS = 128;

function isProducerId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_PRODUCER_CHARS;
}

/** An idempotent producer's options: `producer` (1–128 characters) and `pseq` (a positive integer), both or neither. */
export function producerError(options: Record<string, unknown>): string | undefined {
  const { producer, pseq } = options;
  if (producer == null && pseq == null) return undefined;
  if (!isProducerId(producer)) return `producer must be a string of 1 to ${MAX_PRODUCER_CHARS} characters`;
  if (typeof pseq !== 'number' || !Number.isSafeInteger(pseq) || pseq < 1) return 'pseq must be a positive integer';
  return undefined;
}

export function checkSubscribe(op: unknown[]): string | undefined {
  if (op.length < 4 || op.length > 5) return 'subscribe takes [3, reqId, subId, pattern, options]';
  if (!isId(op[1], true)) return 'subscribe reqId must be a uint32';
  if (!isId(op[2], false)) return 'subscribe subId must be a uint32 greater than 0';
  if (typeof op[3] !== 'string') return 'subscribe pattern must be a string';
  const options = op[4];
  if (options === undefined || options === null) return undefined;
  if (!isPlainObject(options)) return 'subscribe options must be a map or nil';
  return qosOrderError(options)
    ?? nameError(options, 'durable')
    ?? nameError(options, 'group')
    ?? integerOption(options, 'prefetch', 1, MAX_PREFETCH)
    ?? replayFromError(options.from);
}

/** Most unacked deliveries one consumer or subscription may hold. */
export const MAX_PREFETCH = 10_000;

/** An optional integer option in [min, max]. */
export function integerOption(options: Record<string, unknown>, key: string, min: number, max: number): string | undefined {
  const v = options[key];
  if (v === undefined || v === null) return undefined;
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? undefined : `${key} must be an integer from ${min} to ${max}`;
}

function replayFromError(from: unknown): string | undefined {
  if (from === undefined || from === null) return undefined;
  if (!isPlainObject(from)) return 'from must be a map {seq} or {time}';
  const keys = Object.keys(from);
  if (keys.length !== 1 || (keys[0] !== 'seq' && keys[0] !== 'time')) return 'from must be a map {seq} or {time}';
  const v = from[keys[0]];
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? undefined : `from.${keys[0]} must be an integer of 0 or more`;
}

export function checkUnsubscribe(op: unknown[]): string | undefined {
  if (op.length !== 3) return 'unsubscribe takes [4, reqId, subId]';
  if (!isId(op[1], true)) return 'unsubscribe reqId must be a uint32';
  if (!isId(op[2], false)) return 'unsubscribe subId must be a uint32 greater than 0';
  return undefined;
}

/** For operations that carry only a request id (ping, stats). */
export function checkRequestOnly(op: unknown[]): string | undefined {
  if (op.length !== 2 || !isId(op[1], true)) return 'operation takes [code, reqId]';
  return undefined;
}

export function isId(value: unknown, allowZero: boolean): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value <= MAX_ID && (allowZero ? value >= 0 : value > 0);
}

/** A MessagePack map decoded as an object: not an array, bytes, or an extension type (Set, Date, Error…). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

export function qosOrderError(options: Record<string, unknown>): string | undefined {
  if (options.qos != null && !(QOS_LEVELS as readonly unknown[]).includes(options.qos)) {
    return `qos must be one of ${QOS_LEVELS.join(', ')}`;
  }
  if (options.order != null && !(ORDERS as readonly unknown[]).includes(options.order)) {
    return `order must be one of ${ORDERS.join(', ')}`;
  }
  return undefined;
}

export function optionalType(options: Record<string, unknown>, key: string, type: 'string' | 'boolean'): string | undefined {
  const v = options[key];
  return v === undefined || v === null || typeof v === type ? undefined : `${key} must be a ${type}`;
}

export function nameError(options: Record<string, unknown>, key: string): string | undefined {
  const v = options[key];
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' && v.length > 0 && v.length <= 256 ? undefined : `${key} must be a non-empty string of at most 256 characters`;
}

/** Headers: a map of at most 64 string keys to string values. */
export function headersError(headers: unknown): string | undefined {
  if (headers === undefined || headers === null) return undefined;
  if (!isPlainObject(headers)) return 'headers must be a map of strings';
  const keys = Object.keys(headers);
  if (keys.length > 64) return 'headers may have at most 64 entries';
  for (const k of keys) if (typeof headers[k] !== 'string') return `header '${k}' must be a string`;
  return undefined;
}
