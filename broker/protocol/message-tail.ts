import { encodeValue } from './codec.js';
import { EncodedStrings, MAX_UINT_BYTES, writeBinHeader, writeUint } from './msgpack-write.js';

/** The fields after `timestamp` of a causal or total message's MESSAGE [protocol 2.10]. */
export interface OrderedTail {
  readonly deliveries: number;
  readonly flags: number;
  /** The message's ordering metadata, as MESSAGE's `order` map carries it. */
  readonly order: { readonly dep: number; readonly scope?: string };
}

/** The order map's keys as MessagePack fixstr. */
export const DEP_KEY = new Uint8Array([0xa3, 0x64, 0x65, 0x70]); // 'dep'
export const SCOPE_KEY = new Uint8Array([0xa5, 0x73, 0x63, 0x6f, 0x70, 0x65]); // 'scope'

/** True for a tail encode() wrote with an order map (a causal or total message). */
export function isOrderedTail(tail: Uint8Array): boolean {
  return tail[0] === 0x99;
}

/**
 * Encodes the six fields every subscriber of a message shares
 * [protocol 2.10] — topic, payload, headers, replyTo, seq, timestamp — as a
 * 6-element MessagePack array, by hand: the broker does this once per
 * publish, so it writes into one reused scratch buffer (no allocation), and
 * keeps the encoded form of recently used topics.
 *
 * A causal or total message [protocol 2.10] has three more: `deliveries`
 * and `flags` (0 and 0 for an at-most-once delivery), then its `order` map —
 * a 9-element tail (first byte 0x99), which appendMessage copies as it is.
 *
 * The returned view is valid until the next encode(): callers copy it into
 * each subscriber's frame (FrameBuilder.appendMessage) straight away.
 */
export class MessageTailEncoder {
  private scratch = new Uint8Array(64 * 1024);
  private readonly topics = new EncodedStrings();

  encode(
    topic: string, payload: Uint8Array, headers: unknown, replyTo: string | null, seq: number, timestamp: number,
    order?: OrderedTail,
  ): Uint8Array {
    const topicBytes = this.topics.get(topic);
    const extra = headers === null && replyTo === null ? undefined : encodeValue([headers, replyTo]);
    const scopeBytes = order?.order.scope === undefined ? undefined : this.topics.get(order.order.scope);
    this.reserve(1 + topicBytes.length + 5 + payload.length + (extra?.length ?? 2) + 5 * MAX_UINT_BYTES + 16 + (scopeBytes?.length ?? 0));
    const buf = this.scratch;
    let at = 0;
    buf[at++] = order === undefined ? 0x96 : 0x99; // fixarray of 6, or of 9
    buf.set(topicBytes, at);
    at += topicBytes.length;
    at = writeBinHeader(buf, at, payload.length);
    buf.set(payload, at);
    at += payload.length;
    if (extra === undefined) {
      buf[at++] = 0xc0; // headers: nil
      buf[at++] = 0xc0; // replyTo: nil
    } else {
      buf.set(extra.subarray(1), at); // the two values without their fixarray header
      at += extra.length - 1;
    }
    at = writeUint(buf, at, seq);
    at = writeUint(buf, at, timestamp);
    if (order !== undefined) {
      at = writeUint(buf, at, order.deliveries);
      at = writeUint(buf, at, order.flags);
      // The order map, {dep} or {dep, scope} in that order, as a fixmap (what the client's fast path reads).
      buf[at++] = scopeBytes === undefined ? 0x81 : 0x82;
      buf.set(DEP_KEY, at);
      at = writeUint(buf, at + DEP_KEY.length, order.order.dep);
      if (scopeBytes !== undefined) {
        buf.set(SCOPE_KEY, at);
        at += SCOPE_KEY.length;
        buf.set(scopeBytes, at);
        at += scopeBytes.length;
      }
    }
    return buf.subarray(0, at);
  }

  private reserve(bytes: number): void {
    if (bytes <= this.scratch.length) return;
    this.scratch = new Uint8Array(Math.max(bytes, this.scratch.length * 2));
  }
}
