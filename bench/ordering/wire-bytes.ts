/**
 * Measuring the ordering metadata on the wire: where, in the bytes of a
 * frame, MESSAGE's `order` element [protocol 2.10] and PUBLISH's `after` and
 * `order` options [protocol 2.3] sit, and how many bytes they take. Reads
 * MessagePack by skipping values (no decoding into objects), so what is
 * counted is exactly what travelled. Pure: no I/O.
 */
import { BrokerOp, ClientOp } from '../../broker/protocol/index.js';

/** Index of MESSAGE's `order` element: `[67, subId, topic, payload, headers, replyTo, seq, timestamp, deliveries, flags, order]`. */
const MESSAGE_ORDER_INDEX = 10;
/** Index of PUBLISH's and SEND's options: `[2, reqId, topic, payload, options]`. */
const OPTIONS_INDEX = 4;

/** What one frame carried of ordering metadata. */
export interface FrameOrderBytes {
  /** Bytes of each ordered MESSAGE's `order` element (the map `{dep}` or `{dep, scope}`), in frame order. */
  readonly messageOrder: number[];
  /** Bytes of each ordered MESSAGE operation as a whole, in frame order (the same messages as `messageOrder`). */
  readonly messageOp: number[];
  /** Bytes of each ordered PUBLISH or SEND's `after` option, key and value, in frame order. */
  readonly publishAfter: number[];
  /** Bytes of each ordered PUBLISH or SEND's `order` option, key and value, in frame order. */
  readonly publishOrder: number[];
}

/**
 * The ordering metadata of every operation in `frame` (a MessagePack array
 * of operations). MESSAGE operations without an `order` element (fifo) and
 * publishes without an `order` option add nothing. Throws a RangeError on
 * bytes that are not MessagePack.
 */
export function orderBytesOfFrame(frame: Uint8Array): FrameOrderBytes {
  const found: FrameOrderBytes = { messageOrder: [], messageOp: [], publishAfter: [], publishOrder: [] };
  const frameHeader = containerHeader(frame, 0, 'array');
  let at = frameHeader.next;
  for (let i = 0; i < frameHeader.count; i++) {
    const end = skipValue(frame, at);
    visitOperation(frame, at, end, found);
    at = end;
  }
  return found;
}

function visitOperation(b: Uint8Array, start: number, end: number, found: FrameOrderBytes): void {
  if (!isArray(b[start])) return;
  const header = containerHeader(b, start, 'array');
  if (header.count === 0) return;
  const code = readUint(b, header.next);
  const elements: number[] = [];
  let at = header.next;
  for (let i = 0; i < header.count; i++) {
    elements.push(at);
    at = skipValue(b, at);
  }
  elements.push(at);
  if (code === BrokerOp.message && header.count > MESSAGE_ORDER_INDEX) {
    const orderStart = elements[MESSAGE_ORDER_INDEX];
    const orderEnd = elements[MESSAGE_ORDER_INDEX + 1];
    if (b[orderStart] === 0xc0) return; // nil: no order
    found.messageOrder.push(orderEnd - orderStart);
    found.messageOp.push(end - start);
    return;
  }
  if ((code === ClientOp.publish || code === ClientOp.send) && header.count > OPTIONS_INDEX) {
    const options = elements[OPTIONS_INDEX];
    if (!isMap(b[options])) return;
    const entries = mapEntryBytes(b, options);
    const order = entries.get('order');
    if (order === undefined) return;
    found.publishOrder.push(order);
    found.publishAfter.push(entries.get('after') ?? 0);
  }
}

/** Bytes of each entry (key and value) of the map at `at`, by key (string keys only). */
export function mapEntryBytes(b: Uint8Array, at: number): Map<string, number> {
  const header = containerHeader(b, at, 'map');
  const entries = new Map<string, number>();
  let p = header.next;
  for (let i = 0; i < header.count; i++) {
    const keyStart = p;
    const key = readString(b, p);
    p = skipValue(b, skipValue(b, p));
    if (key !== undefined) entries.set(key, p - keyStart);
  }
  return entries;
}

function isArray(t: number): boolean {
  return (t >= 0x90 && t <= 0x9f) || t === 0xdc || t === 0xdd;
}

function isMap(t: number): boolean {
  return (t >= 0x80 && t <= 0x8f) || t === 0xde || t === 0xdf;
}

/** Element count and first element of the array or map at `at`. */
function containerHeader(b: Uint8Array, at: number, kind: 'array' | 'map'): { count: number; next: number } {
  const t = b[at];
  const fix = kind === 'array' ? 0x90 : 0x80;
  const [c16, c32] = kind === 'array' ? [0xdc, 0xdd] : [0xde, 0xdf];
  if (t >= fix && t <= fix + 0x0f) return { count: t & 0x0f, next: at + 1 };
  if (t === c16) return { count: be(b, at + 1, 2), next: at + 3 };
  if (t === c32) return { count: be(b, at + 1, 4), next: at + 5 };
  throw new RangeError(`not a MessagePack ${kind} at byte ${at}`);
}

/** An unsigned integer at `at` (positive fixint, uint 8 to 64), or −1 when it is something else. */
function readUint(b: Uint8Array, at: number): number {
  const t = b[at];
  if (t < 0x80) return t;
  if (t === 0xcc) return b[at + 1];
  if (t === 0xcd) return be(b, at + 1, 2);
  if (t === 0xce) return be(b, at + 1, 4);
  if (t === 0xcf) return be(b, at + 1, 8);
  return -1;
}

const textDecoder = new TextDecoder();

/** The string at `at`, or undefined when it is not a string. */
function readString(b: Uint8Array, at: number): string | undefined {
  const t = b[at];
  let start: number;
  let length: number;
  if (t >= 0xa0 && t <= 0xbf) [start, length] = [at + 1, t & 0x1f];
  else if (t === 0xd9) [start, length] = [at + 2, b[at + 1]];
  else if (t === 0xda) [start, length] = [at + 3, be(b, at + 1, 2)];
  else if (t === 0xdb) [start, length] = [at + 5, be(b, at + 1, 4)];
  else return undefined;
  return textDecoder.decode(b.subarray(start, start + length));
}

/** Big-endian unsigned integer of `bytes` bytes at `at`. */
function be(b: Uint8Array, at: number, bytes: number): number {
  let n = 0;
  for (let i = 0; i < bytes; i++) n = n * 256 + b[at + i];
  return n;
}

/** The offset just past the MessagePack value at `at`. */
export function skipValue(b: Uint8Array, at: number): number {
  if (at >= b.length) throw new RangeError(`MessagePack value expected at byte ${at}, frame has ${b.length}`);
  const t = b[at];
  if (t < 0x80 || t >= 0xe0) return at + 1; // positive / negative fixint
  if (t <= 0x8f) return skipMany(b, at + 1, 2 * (t & 0x0f)); // fixmap
  if (t <= 0x9f) return skipMany(b, at + 1, t & 0x0f); // fixarray
  if (t <= 0xbf) return at + 1 + (t & 0x1f); // fixstr
  switch (t) {
    case 0xc0: case 0xc2: case 0xc3: return at + 1; // nil, false, true
    case 0xc4: case 0xd9: return at + 2 + b[at + 1]; // bin 8, str 8
    case 0xc5: case 0xda: return at + 3 + be(b, at + 1, 2); // bin 16, str 16
    case 0xc6: case 0xdb: return at + 5 + be(b, at + 1, 4); // bin 32, str 32
    case 0xc7: return at + 3 + b[at + 1]; // ext 8
    case 0xc8: return at + 4 + be(b, at + 1, 2); // ext 16
    case 0xc9: return at + 6 + be(b, at + 1, 4); // ext 32
    case 0xca: return at + 5; // float 32
    case 0xcb: return at + 9; // float 64
    case 0xcc: case 0xd0: return at + 2; // uint 8, int 8
    case 0xcd: case 0xd1: return at + 3;
    case 0xce: case 0xd2: return at + 5;
    case 0xcf: case 0xd3: return at + 9;
    case 0xd4: return at + 3; // fixext 1
    case 0xd5: return at + 4;
    case 0xd6: return at + 6;
    case 0xd7: return at + 10;
    case 0xd8: return at + 18;
    case 0xdc: return skipMany(b, at + 3, be(b, at + 1, 2)); // array 16
    case 0xdd: return skipMany(b, at + 5, be(b, at + 1, 4)); // array 32
    case 0xde: return skipMany(b, at + 3, 2 * be(b, at + 1, 2)); // map 16
    case 0xdf: return skipMany(b, at + 5, 2 * be(b, at + 1, 4)); // map 32
    default: throw new RangeError(`0x${t.toString(16)} is not a MessagePack type byte (at byte ${at})`);
  }
}

function skipMany(b: Uint8Array, at: number, count: number): number {
  let p = at;
  for (let i = 0; i < count; i++) p = skipValue(b, p);
  return p;
}

/** Bytes MessagePack takes for the unsigned integer `n` (positive fixint, uint 8, 16, 32, 64). */
export function uintBytes(n: number): number {
  return n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x1_0000 ? 3 : n <= 0xffff_ffff ? 5 : 9;
}

/** Bytes of a MessagePack map header for `entries` entries (fixmap, map 16, map 32). */
export function mapHeaderBytes(entries: number): number {
  return entries <= 15 ? 1 : entries <= 0xffff ? 3 : 5;
}

/**
 * Bytes of a vector clock encoded as a MessagePack map of publisher number
 * → counter, over the entries `clock` holds (zero counters skipped unless
 * `dense`): the compact form of the metadata a vector-clock design attaches
 * to every message. Publisher numbers 0…N−1 are the smallest keys possible;
 * real publisher ids (strings) take more.
 */
export function vectorClockBytes(clock: ArrayLike<number>, dense: boolean): number {
  let entries = 0;
  let bytes = 0;
  for (let id = 0; id < clock.length; id++) {
    const counter = clock[id];
    if (counter === 0 && !dense) continue;
    entries++;
    bytes += uintBytes(id) + uintBytes(counter);
  }
  return mapHeaderBytes(entries) + bytes;
}
