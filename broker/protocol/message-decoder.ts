import { unpackOne, unpackr } from './codec.js';
import { DEP_KEY, SCOPE_KEY } from './message-tail.js';
import { BrokerOp } from './ops.js';

/**
 * A fast path for the broker → client direction [protocol 2.10]: frames are
 * mostly MESSAGE operations, and decoding each one generically (an array per
 * operation, a Buffer view per payload) is where a subscriber spends its CPU.
 * This reads MESSAGE operations straight from the bytes and hands their
 * fields to a callback; the first operation it does not recognise — or a
 * MESSAGE with headers or replyTo — and everything after it go through
 * msgpackr as usual, in order.
 *
 * Pure but for a one-entry cache of the last topic decoded; no I/O.
 */
export interface FrameVisitor {
  /**
   * A MESSAGE; `payload` is a view into the frame (no copy). `deliveries` is
   * 0 for a delivery that waits for no ack; `flags` as [protocol 2.10];
   * `order`, a causal or total message's ordering map.
   */
  message(
    subId: number, topic: string, payload: Uint8Array, seq: number, timestamp: number, deliveries: number, flags: number,
    order?: { dep: number; scope?: string },
  ): void;
  /** Any other operation, decoded generically. */
  other(op: unknown): void;
}

const textDecoder = new TextDecoder();

/** Visits every operation of `frame` in order. Throws (like decodeFrame) when the frame is not an array. */
export function visitFrame(frame: Uint8Array, visitor: FrameVisitor): void {
  const header = readArrayHeader(frame, 0);
  if (header === undefined) {
    const ops = unpackOne(frame);
    if (!Array.isArray(ops)) throw new TypeError('frame is not an array');
    for (const op of ops) visitor.other(op);
    return;
  }
  let at = header.next;
  for (let i = 0; i < header.count; i++) {
    const end = readPlainMessage(frame, at, visitor);
    if (end < 0) {
      for (const op of unpackr.unpackMultiple(frame.subarray(at))) visitor.other(op);
      return;
    }
    at = end;
  }
}

/** Reads one MESSAGE without headers or replyTo at `at`; returns its end, or -1 to fall back. */
function readPlainMessage(b: Uint8Array, at: number, visitor: FrameVisitor): number {
  const isOrdered = b[at] === 0x9b;
  const isDelivery = b[at] === 0x9a || isOrdered;
  if ((b[at] !== 0x98 && !isDelivery) || b[at + 1] !== BrokerOp.message) return -1;
  let p = at + 2;
  const subId = readUint(b, p);
  if (subId < 0) return -1;
  p = uintEnd(b, p);
  const topicLen = strLength(b, p);
  if (topicLen < 0) return -1;
  p += strHeaderLength(b[p]);
  if (p + topicLen > b.length) return -1; // cut short: decoding it would put a wrong topic in the cache below
  const topic = topicAt(b, p, p + topicLen);
  p += topicLen;
  const payloadLen = binLength(b, p);
  if (payloadLen < 0) return -1;
  p += binHeaderLength(b[p]);
  const payloadStart = p;
  p += payloadLen;
  if (b[p] !== 0xc0 || b[p + 1] !== 0xc0) return -1; // headers or replyTo present
  p += 2;
  const seq = readUint(b, p);
  if (seq < 0) return -1;
  p = uintEnd(b, p);
  const timestamp = readUint(b, p);
  if (timestamp < 0) return -1;
  p = uintEnd(b, p);
  let deliveries = 0;
  let flags = 0;
  if (isDelivery) {
    deliveries = readUint(b, p);
    if (deliveries < 0) return -1;
    p = uintEnd(b, p);
    flags = readUint(b, p);
    if (flags < 0) return -1;
    p = uintEnd(b, p);
  }
  let order: { dep: number; scope?: string } | undefined;
  if (isOrdered) {
    const read = readOrder(b, p);
    if (read === undefined) return -1;
    order = read.order;
    p = read.end;
  }
  if (p > b.length) return -1;
  visitor.message(subId, topic, b.subarray(payloadStart, payloadStart + payloadLen), seq, timestamp, deliveries, flags, order);
  return p;
}

/** MESSAGE's order map as the broker writes it, {dep} or {dep, scope} in that order; undefined to fall back. */
function readOrder(b: Uint8Array, at: number): { order: { dep: number; scope?: string }; end: number } | undefined {
  const size = b[at];
  if ((size !== 0x81 && size !== 0x82) || !bytesAt(b, at + 1, DEP_KEY)) return undefined;
  let p = at + 1 + DEP_KEY.length;
  const dep = readUint(b, p);
  if (dep < 0) return undefined;
  p = uintEnd(b, p);
  if (size === 0x81) return { order: { dep }, end: p };
  if (!bytesAt(b, p, SCOPE_KEY)) return undefined;
  p += SCOPE_KEY.length;
  const length = strLength(b, p);
  if (length < 0) return undefined;
  p += strHeaderLength(b[p]);
  return { order: { dep, scope: utf8(b, p, p + length) }, end: p + length };
}

function bytesAt(b: Uint8Array, at: number, expected: Uint8Array): boolean {
  for (let i = 0; i < expected.length; i++) if (b[at + i] !== expected[i]) return false;
  return true;
}

function readArrayHeader(b: Uint8Array, at: number): { count: number; next: number } | undefined {
  const t = b[at];
  if (t >= 0x90 && t <= 0x9f) return { count: t & 0x0f, next: at + 1 };
  if (t === 0xdc) return { count: (b[at + 1] << 8) | b[at + 2], next: at + 3 };
  if (t === 0xdd) return { count: ((b[at + 1] << 24) >>> 0) + ((b[at + 2] << 16) | (b[at + 3] << 8) | b[at + 4]), next: at + 5 };
  return undefined;
}

/** A uint (positive fixint, uint8/16/32/64) at `at`, or -1. */
function readUint(b: Uint8Array, at: number): number {
  const t = b[at];
  if (t < 0x80) return t;
  switch (t) {
    case 0xcc: return b[at + 1];
    case 0xcd: return (b[at + 1] << 8) | b[at + 2];
    case 0xce: return ((b[at + 1] << 24) >>> 0) + ((b[at + 2] << 16) | (b[at + 3] << 8) | b[at + 4]);
    case 0xcf: {
      const high = ((b[at + 1] << 24) >>> 0) + ((b[at + 2] << 16) | (b[at + 3] << 8) | b[at + 4]);
      if (high >= 0x20_0000) return -1; // beyond 2^53: let msgpackr decide
      return high * 0x1_0000_0000 + ((b[at + 5] << 24) >>> 0) + ((b[at + 6] << 16) | (b[at + 7] << 8) | b[at + 8]);
    }
    default: return -1;
  }
}

function uintEnd(b: Uint8Array, at: number): number {
  const t = b[at];
  if (t < 0x80) return at + 1;
  return at + (t === 0xcc ? 2 : t === 0xcd ? 3 : t === 0xce ? 5 : 9);
}

function strLength(b: Uint8Array, at: number): number {
  const t = b[at];
  if (t >= 0xa0 && t <= 0xbf) return t & 0x1f;
  if (t === 0xd9) return b[at + 1];
  if (t === 0xda) return (b[at + 1] << 8) | b[at + 2];
  return -1;
}

/** Bytes of a str header, from its type byte. */
function strHeaderLength(t: number): number {
  return t === 0xd9 ? 2 : t === 0xda ? 3 : 1;
}

function binLength(b: Uint8Array, at: number): number {
  const t = b[at];
  if (t === 0xc4) return b[at + 1];
  if (t === 0xc5) return (b[at + 1] << 8) | b[at + 2];
  if (t === 0xc6) return ((b[at + 1] << 24) >>> 0) + ((b[at + 2] << 16) | (b[at + 3] << 8) | b[at + 4]);
  return -1;
}

/** Bytes of a bin header, from its type byte. */
function binHeaderLength(t: number): number {
  return t === 0xc4 ? 2 : t === 0xc5 ? 3 : 5;
}

/** The last topic decoded, and its bytes: consecutive messages mostly share a topic. */
let lastTopic = '';
let lastTopicBytes = new Uint8Array(0);

/** The topic in bytes [start, end): the previous one again when the bytes match, else decoded. */
function topicAt(b: Uint8Array, start: number, end: number): string {
  const length = end - start;
  if (length === lastTopicBytes.length) {
    let i = 0;
    while (i < length && b[start + i] === lastTopicBytes[i]) i++;
    if (i === length) return lastTopic;
  }
  lastTopic = utf8(b, start, end);
  lastTopicBytes = b.slice(start, end);
  return lastTopic;
}

/** Topics are short and mostly ASCII: build those directly, decode the rest. */
function utf8(b: Uint8Array, start: number, end: number): string {
  if (end - start <= 64) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = b[i];
      if (c >= 0x80) return textDecoder.decode(b.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return textDecoder.decode(b.subarray(start, end));
}
