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
