/**
 * Benchmark payloads: fixed-size byte arrays whose first 8 bytes are a header
 * (publisher id, then sequence number, both little-endian uint32) that the
 * verifier reads back; the rest is filler.
 */
import { MIN_PAYLOAD_BYTES } from './workloads/spec.js';

/**
 * Builds `count` payloads of `size` bytes for one publisher, as views into one
 * buffer so the timed loop allocates nothing and no payload is ever reused
 * (clients may hold a payload until it is written).
 */
export function makePayloads(publisherId: number, count: number, size: number): Uint8Array[] {
  if (size < MIN_PAYLOAD_BYTES) throw new RangeError(`payload must be at least ${MIN_PAYLOAD_BYTES} bytes, got ${size}`);
  const slab = new Uint8Array(count * size).fill(0x61);
  const payloads = new Array<Uint8Array>(count);
  for (let seq = 0; seq < count; seq++) {
    const payload = slab.subarray(seq * size, (seq + 1) * size);
    writeHeader(payload, publisherId, seq);
    payloads[seq] = payload;
  }
  return payloads;
}

/** Writes the header into the first 8 bytes of `payload`. */
export function writeHeader(payload: Uint8Array, publisherId: number, seq: number): void {
  writeUint32(payload, 0, publisherId);
  writeUint32(payload, 4, seq);
}

/** The publisher id of a payload (−1 when it is too short to carry a header). */
export function readPublisherId(payload: Uint8Array): number {
  return payload.length < MIN_PAYLOAD_BYTES ? -1 : readUint32(payload, 0);
}

/** The sequence number of a payload (−1 when it is too short to carry a header). */
export function readSequence(payload: Uint8Array): number {
  return payload.length < MIN_PAYLOAD_BYTES ? -1 : readUint32(payload, 4);
}

function writeUint32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 0xff;
  bytes[at + 1] = (value >>> 8) & 0xff;
  bytes[at + 2] = (value >>> 16) & 0xff;
  bytes[at + 3] = (value >>> 24) & 0xff;
}

function readUint32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

/** A Buffer view of `payload` (no copy), for clients that insist on Buffers. */
export function asBuffer(payload: Uint8Array): Buffer {
  return Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
}
