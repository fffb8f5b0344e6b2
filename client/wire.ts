import { OrdoError, codeForCloseStatus } from '../broker/errors/index.js';
import type { PublishWireOptions, SubscribeWireOptions } from '../broker/protocol/index.js';
import type { PublishOptions, SubscribeOptions } from './options.js';

/** Publish options as the wire carries them [protocol 2.3]; null (nil) when all are defaults. */
export function publishWireOptions(o: PublishOptions | undefined): PublishWireOptions | null {
  if (o === undefined) return null;
  const { qos, order, retain, headers, replyTo } = o;
  if (qos === undefined && order === undefined && !retain && headers === undefined && replyTo === undefined) return null;
  return withoutUndefined({ qos, order, retain: retain || undefined, headers, replyTo });
}

/** Subscribe options as the wire carries them [protocol 2.4]; null (nil) when all are defaults. */
export function subscribeWireOptions(o: SubscribeOptions): SubscribeWireOptions | null {
  const { qos, order, durable, group } = o;
  if (qos === undefined && order === undefined && durable === undefined && group === undefined) return null;
  return withoutUndefined({ qos, order, durable, group });
}

/** The error a broker's WebSocket close status stands for [protocol 1.3], if any. */
export function errorFromClose(code: number, reason: string): OrdoError | undefined {
  const known = codeForCloseStatus(code);
  return known === undefined ? undefined : new OrdoError(known, reason || undefined);
}

/** Absent options stay off the wire rather than travelling as nil. */
function withoutUndefined<T extends object>(o: T): T {
  for (const key of Object.keys(o) as (keyof T)[]) if (o[key] === undefined) delete o[key];
  return o;
}
