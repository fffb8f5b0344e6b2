import { encodeValue } from './codec.js';
import { BrokerOp } from './ops.js';

/**
 * Builds one outbound frame out of pre-encoded operations, so a message fanned
 * out to many subscribers is MessagePack-encoded once and then only copied
 * [protocol 1.1, 2.10]. The frame's array header is written last, in a slot of
 * 5 bytes reserved up front (an array32 header: valid, if not minimal,
 * MessagePack).
 *
 * Not thread-safe, not reusable after take(): take() hands the bytes over.
 */
export class FrameBuilder {
  private buf: Uint8Array;
  private length = HEADER_BYTES;
  private count = 0;

  constructor(initialBytes = 4096) {
    this.buf = new Uint8Array(Math.max(initialBytes, 64));
  }

  /** Number of operations in the frame so far. */
  get opCount(): number {
    return this.count;
  }

  /** Bytes the frame would have if taken now. */
  get byteLength(): number {
    return this.length;
  }

  /** Appends an operation encoded here. */
  appendOp(op: readonly unknown[]): void {
    this.appendEncoded(encodeValue(op));
  }

  /** Appends one operation that is already MessagePack-encoded. */
  appendEncoded(encodedOp: Uint8Array): void {
    this.reserve(encodedOp.length);
    this.buf.set(encodedOp, this.length);
    this.length += encodedOp.length;
    this.count++;
  }

  /**
   * Appends a MESSAGE operation for subscription `subId`, whose remaining six
   * fields were encoded once by MessageTailEncoder [protocol 2.10].
   */
  appendMessage(subId: number, tail: Uint8Array): void {
    // tail[0] is the fixarray header of the 6 encoded fields; we write our own.
    this.reserve(1 + 1 + 5 + tail.length);
    const buf = this.buf;
    buf[this.length++] = 0x98; // fixarray of 8: op, subId, then the 6 tail fields
    buf[this.length++] = BrokerOp.message; // positive fixint
    this.length = writeUint(buf, this.length, subId);
    buf.set(tail.subarray(1), this.length);
    this.length += tail.length - 1;
    this.count++;
  }

  /** The finished frame; the builder must not be used afterwards. */
  take(): Uint8Array {
    const buf = this.buf;
    buf[0] = 0xdd; // array32
    buf[1] = this.count >>> 24;
    buf[2] = (this.count >>> 16) & 0xff;
    buf[3] = (this.count >>> 8) & 0xff;
    buf[4] = this.count & 0xff;
    return buf.subarray(0, this.length);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.length + extra));
    grown.set(this.buf.subarray(0, this.length));
    this.buf = grown;
  }
}

const HEADER_BYTES = 5;

/** Writes a non-negative integer as a MessagePack uint; returns the new offset. */
function writeUint(buf: Uint8Array, at: number, n: number): number {
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
  buf[at] = 0xce;
  buf[at + 1] = n >>> 24;
  buf[at + 2] = (n >>> 16) & 0xff;
  buf[at + 3] = (n >>> 8) & 0xff;
  buf[at + 4] = n & 0xff;
  return at + 5;
}
