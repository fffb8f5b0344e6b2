import { encodeValue } from './codec.js';
import { MAX_UINT_BYTES, messageOpBytes, writeMessageOp, writeUint } from './msgpack-write.js';
import { BrokerOp, ClientOp } from './ops.js';

/** Room reserved for the frame's array32 header. */
const HEADER_BYTES = 5;

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
    // tail[0] is the fixarray header of the encoded fields (6, or 9 for an ordered message); we write our own.
    this.reserve(1 + 1 + 5 + tail.length);
    const buf = this.buf;
    buf[this.length++] = tail[0] + 2; // fixarray of 8 (or 11): op, subId, then the tail's fields
    buf[this.length++] = BrokerOp.message; // positive fixint
    this.length = writeUint(buf, this.length, subId);
    buf.set(tail.subarray(1), this.length);
    this.length += tail.length - 1;
    this.count++;
  }

  /**
   * Appends a MESSAGE that waits for an ack (`deliveries` ≥ 1) or carries
   * flags (retained, replayed): the 8 fields of appendMessage plus
   * `deliveries` and `flags` [protocol 2.10].
   */
  appendDelivery(subId: number, tail: Uint8Array, deliveries: number, flags: number): void {
    this.reserve(1 + 1 + 5 + tail.length + 2 * MAX_UINT_BYTES);
    const buf = this.buf;
    buf[this.length++] = 0x9a; // fixarray of 10
    buf[this.length++] = BrokerOp.message;
    this.length = writeUint(buf, this.length, subId);
    buf.set(tail.subarray(1), this.length);
    this.length += tail.length - 1;
    this.length = writeUint(buf, this.length, deliveries);
    this.length = writeUint(buf, this.length, flags);
    this.count++;
  }

  /**
   * Appends a PUBLISH [protocol 2.3] without building it as an array first
   * (the client's hot path). `topic` is the topic's MessagePack encoding;
   * `payload` is the MessagePack encoding of the value — or, when
   * `isRawBytes`, bytes whose encoding (a bin value) is written here.
   * `options` is the encoded options map, or null for nil.
   */
  appendPublish(reqId: number, topic: Uint8Array, payload: Uint8Array, isRawBytes: boolean, options: Uint8Array | null): void {
    this.reserve(messageOpBytes(reqId, topic, payload, isRawBytes, options));
    this.length = writeMessageOp(this.buf, this.length, ClientOp.publish, reqId, topic, payload, isRawBytes, options);
    this.count++;
  }

  /** A view of bytes [start, end) of the frame so far (offsets as byteLength counts them). */
  slice(start: number, end: number): Uint8Array {
    return this.buf.subarray(start, end);
  }

  /** Offset of the first operation. */
  static readonly FIRST_OP_OFFSET = HEADER_BYTES;

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

