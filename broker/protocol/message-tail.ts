import { encodeValue } from './codec.js';

/**
 * Encodes the six fields every subscriber of a message shares
 * [protocol 2.10] — topic, payload, headers, replyTo, seq, timestamp — as a
 * 6-element MessagePack array, by hand: the broker does this once per
 * publish, so it writes into one reused scratch buffer (no allocation), and
 * keeps the encoded form of recently used topics.
 *
 * The returned view is valid until the next encode(): callers copy it into
 * each subscriber's frame (FrameBuilder.appendMessage) straight away.
 */
export class MessageTailEncoder {
  private scratch = new Uint8Array(64 * 1024);
  private view = new DataView(this.scratch.buffer);
  private readonly topics = new Map<string, Uint8Array>();

  /** Topics whose encoding is kept at most; the cache is emptied when full. */
  static readonly TOPIC_CACHE_SIZE = 4096;

  encode(topic: string, payload: Uint8Array, headers: unknown, replyTo: string | null, seq: number, timestamp: number): Uint8Array {
    const topicBytes = this.topicBytes(topic);
    const extra = headers === null && replyTo === null ? undefined : encodeValue([headers, replyTo]);
    this.reserve(1 + topicBytes.length + 5 + payload.length + (extra?.length ?? 2) + 9 + 9);
    const buf = this.scratch;
    let at = 0;
    buf[at++] = 0x96; // fixarray of 6
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
    at = this.writeUint64(at, seq);
    at = this.writeUint64(at, timestamp);
    return buf.subarray(0, at);
  }

  private topicBytes(topic: string): Uint8Array {
    let bytes = this.topics.get(topic);
    if (bytes === undefined) {
      bytes = encodeValue(topic).slice(); // own copy: encodeValue's result shares a buffer
      if (this.topics.size >= MessageTailEncoder.TOPIC_CACHE_SIZE) this.topics.clear();
      this.topics.set(topic, bytes);
    }
    return bytes;
  }

  /** Writes a non-negative integer as uint32 when it fits, else uint64. */
  private writeUint64(at: number, n: number): number {
    if (n <= 0xffff_ffff) {
      this.scratch[at] = 0xce;
      this.view.setUint32(at + 1, n);
      return at + 5;
    }
    this.scratch[at] = 0xcf;
    this.view.setUint32(at + 1, Math.floor(n / 0x1_0000_0000));
    this.view.setUint32(at + 5, n >>> 0);
    return at + 9;
  }

  private reserve(bytes: number): void {
    if (bytes <= this.scratch.length) return;
    this.scratch = new Uint8Array(Math.max(bytes, this.scratch.length * 2));
    this.view = new DataView(this.scratch.buffer);
  }
}

function writeBinHeader(buf: Uint8Array, at: number, length: number): number {
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
  buf[at + 1] = length >>> 24;
  buf[at + 2] = (length >>> 16) & 0xff;
  buf[at + 3] = (length >>> 8) & 0xff;
  buf[at + 4] = length & 0xff;
  return at + 5;
}
