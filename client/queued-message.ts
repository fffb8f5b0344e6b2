import type { Headers, PeekedMessage } from '../broker/protocol/index.js';
import { EMPTY_HEADERS, decodePayload } from './message.js';

/** A message waiting in a queue, as peekQueue() shows it (not delivered: nothing to ack). */
export class QueuedMessage<T = unknown> {
  /** As Message.id: the seq as a string. */
  readonly id: string;
  readonly seq: number;
  readonly topic: string;
  /** The MessagePack encoding of the payload. */
  readonly rawPayload: Uint8Array;
  readonly headers: Headers;
  readonly priority: number;
  /** Deliveries so far (a message that came back waits with its count). */
  readonly deliveries: number;
  /** When the broker accepted it, ms since the epoch. */
  readonly timestamp: number;
  /** When it expires, ms since the epoch, or null. */
  readonly expiresAt: number | null;

  constructor(m: PeekedMessage) {
    this.id = String(m.id);
    this.seq = m.id;
    this.topic = m.topic;
    this.rawPayload = m.payload;
    this.headers = m.headers ?? EMPTY_HEADERS;
    this.priority = m.priority;
    this.deliveries = m.deliveries;
    this.timestamp = m.timestamp;
    this.expiresAt = m.expiresAt;
  }

  /** The value sent; ERR_BAD_PAYLOAD when its bytes do not decode. */
  get payload(): T {
    return decodePayload(this.rawPayload, this.topic) as T;
  }
}
