import { encodeValue } from './codec.js';

/**
 * Hand-written MessagePack for the hot paths (publish and message frames),
 * where a generic encoder's per-value work and allocations show up in
 * profiles. Output is standard MessagePack, decodable by any library.
 */

/** Writes a non-negative safe integer as the shortest MessagePack uint; returns the new offset. */
export function writeUint(buf: Uint8Array, at: number, n: number): number {
  if (n < 0x80) {
    buf[at] = n;
    return at + 1;
  }
  if (n < 0x100) {
    buf[at] = 0xcc;
    buf[at + 1] = n;
    return at + 2;
  }
  if (n < 0x10000) {
    buf[at] = 0xcd;
    buf[at + 1] = n >>> 8;
    buf[at + 2] = n & 0xff;
    return at + 3;
  }
  if (n <= 0xffff_ffff) {
    buf[at] = 0xce;
    writeUint32(buf, at + 1, n);
    return at + 5;
  }
  buf[at] = 0xcf;
  writeUint32(buf, at + 1, Math.floor(n / 0x1_0000_0000));
  writeUint32(buf, at + 5, n >>> 0);
  return at + 9;
}

/** Most bytes writeUint writes. */
export const MAX_UINT_BYTES = 9;

/** Writes the header of a bin value of `length` bytes; returns the new offset. */
export function writeBinHeader(buf: Uint8Array, at: number, length: number): number {
  if (length < 0x100) {
    buf[at] = 0xc4;
    buf[at + 1] = length;
    return at + 2;
  }
  if (length < 0x10000) {
    buf[at] = 0xc5;
    buf[at + 1] = length >>> 8;
    buf[at + 2] = length & 0xff;
    return at + 3;
  }
  buf[at] = 0xc6;
  writeUint32(buf, at + 1, length);
  return at + 5;
}

/** Bytes of the header of a bin value of `length` bytes. */
export function binHeaderBytes(length: number): number {
  return length < 0x100 ? 2 : length < 0x10000 ? 3 : 5;
}

function writeUint32(buf: Uint8Array, at: number, n: number): void {
  buf[at] = n >>> 24;
  buf[at + 1] = (n >>> 16) & 0xff;
  buf[at + 2] = (n >>> 8) & 0xff;
  buf[at + 3] = n & 0xff;
}

/** Bytes writeMessageOp writes for these fields. */
export function messageOpBytes(reqId: number, destination: Uint8Array, payload: Uint8Array, isRawBytes: boolean, options: Uint8Array | null): number {
  const inner = isRawBytes ? binHeaderBytes(payload.length) : 0;
  const binLength = inner + payload.length;
  return 2 + uintBytes(reqId) + destination.length + binHeaderBytes(binLength) + binLength + (options?.length ?? 1);
}

/**
 * Writes a PUBLISH or SEND operation [protocol 2.3, 2.11], `[op, reqId,
 * destination, payload, options]`, at `at` (room: messageOpBytes); returns
 * the new offset. `destination` is already a MessagePack string; `payload`
 * is the MessagePack encoding of the application's value, or with
 * `isRawBytes` the bytes themselves (written as the bin value they encode
 * to, without a trip through the encoder); `options` is encoded, or null for nil.
 */
export function writeMessageOp(
  buf: Uint8Array, at: number, op: number, reqId: number, destination: Uint8Array,
  payload: Uint8Array, isRawBytes: boolean, options: Uint8Array | null,
): number {
  const inner = isRawBytes ? binHeaderBytes(payload.length) : 0;
  buf[at++] = 0x95; // fixarray of 5
  buf[at++] = op;
  at = writeUint(buf, at, reqId);
  buf.set(destination, at);
  at += destination.length;
  at = writeBinHeader(buf, at, inner + payload.length);
  if (isRawBytes) at = writeBinHeader(buf, at, payload.length);
  buf.set(payload, at);
  at += payload.length;
  if (options === null) buf[at++] = 0xc0;
  else {
    buf.set(options, at);
    at += options.length;
  }
  return at;
}

/**
 * The same operation as writeMessageOp writes, in an array of its own (an op
 * the SDK keeps to resend), which `alloc` provides.
 */
export function encodeMessageOp(
  op: number, reqId: number, destination: Uint8Array, payload: Uint8Array, isRawBytes: boolean, options: Uint8Array | null,
  alloc: (bytes: number) => Uint8Array = (bytes) => new Uint8Array(bytes),
): Uint8Array {
  const out = alloc(messageOpBytes(reqId, destination, payload, isRawBytes, options));
  writeMessageOp(out, 0, op, reqId, destination, payload, isRawBytes, options);
  return out;
}

/** Bytes writeUint writes for `n`. */
function uintBytes(n: number): number {
  return n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n <= 0xffff_ffff ? 5 : 9;
}

/**
 * The MessagePack encodings of recently used strings (topics): most traffic
 * goes to few topics, and a cached encoding is a copy instead of a UTF-8
 * encode. Bounded: emptied when full.
 */
export class EncodedStrings {
  private readonly cache = new Map<string, Uint8Array>();

  constructor(private readonly maxEntries = 4096) {}

  get(text: string): Uint8Array {
    let bytes = this.cache.get(text);
    if (bytes === undefined) {
      bytes = encodeValue(text).slice(); // own copy: encodeValue's result shares a buffer
      if (this.cache.size >= this.maxEntries) this.cache.clear();
      this.cache.set(text, bytes);
    }
    return bytes;
  }
}

/**
 * `map` (an encoded MessagePack map: fixmap, or map 16 as msgpackr writes
 * objects) with one more entry, `key` (an encoded str) → the unsigned
 * integer `value`, written after its entries: no second encoding of the map.
 * Undefined for any other header (the caller encodes afresh).
 */
export function appendMapEntry(map: Uint8Array, key: Uint8Array, value: number): Uint8Array | undefined {
  const header = map[0];
  const isFixmap = header >= 0x80 && header < 0x8f;
  if (!isFixmap && !(header === 0xde && ((map[1] << 8) | map[2]) < 0xffff)) return undefined;
  const out = new Uint8Array(map.length + key.length + MAX_UINT_BYTES);
  out.set(map, 0);
  if (isFixmap) out[0] = header + 1;
  else {
    const count = ((map[1] << 8) | map[2]) + 1;
    out[1] = count >> 8;
    out[2] = count & 0xff;
  }
  out.set(key, map.length);
  return out.subarray(0, writeUint(out, map.length + key.length, value));
}
