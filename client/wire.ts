import { OrdoError, codeForCloseStatus } from '../broker/errors/index.js';
import type { ConsumeWireOptions, PublishWireOptions, SendWireOptions, SubscribeWireOptions } from '../broker/protocol/index.js';
import type { ConsumeOptions, PublishOptions, SendOptions, SubscribeOptions } from './options.js';

/** Publish options as the wire carries them [protocol 2.3]; null (nil) when all are defaults. */
export function publishWireOptions(o: PublishOptions | undefined): PublishWireOptions | null {
  if (o === undefined) return null;
  const { qos, order, retain, headers, replyTo } = o;
  if (qos === undefined && order === undefined && !retain && headers === undefined && replyTo === undefined) return null;
  return withoutUndefined({ qos, order, retain: retain || undefined, headers, replyTo });
}

/** Subscribe options as the wire carries them [protocol 2.4]; null (nil) when all are defaults. */
export function subscribeWireOptions(o: SubscribeOptions): SubscribeWireOptions | null {
  const { qos, order, durable, group, prefetch, from } = o;
  return nullWhenEmpty(withoutUndefined({ qos, order, durable, group, prefetch, from }));
}

/** Send options as the wire carries them [protocol 2.11]; null when all are defaults. */
export function sendWireOptions(o: SendOptions): SendWireOptions | null {
  const { qos, order, headers, priority, delayMs, ttlMs, replyTo } = o;
  return nullWhenEmpty(withoutUndefined({ qos, order, headers, priority, delayMs, ttlMs, replyTo }));
}

/** Consume options as the wire carries them [protocol 2.12]; null when all are defaults. */
export function consumeWireOptions(o: ConsumeOptions): ConsumeWireOptions | null {
  const { qos, order, prefetch } = o;
  return nullWhenEmpty(withoutUndefined({ qos, order, prefetch }));
}

function nullWhenEmpty<T extends object>(o: T): T | null {
  return Object.keys(o).length === 0 ? null : o;
}

/** The error a broker's WebSocket close status stands for [protocol 1.3], if any. */
export function errorFromClose(code: number, reason: string): OrdoError | undefined {
  const known = codeForCloseStatus(code);
  return known === undefined ? undefined : new OrdoError(known, reason || undefined);
}

/**
 * Absent options stay off the wire rather than travelling as nil. A copy of
 * the defined keys: deleting keys would turn the object into a slow
 * dictionary, which every send then paid for when encoding it.
 */
function withoutUndefined<T extends object>(o: T): T {
  const defined: Partial<T> = {};
  for (const key in o) if (o[key] !== undefined) defined[key] = o[key];
  return defined as T;
}
