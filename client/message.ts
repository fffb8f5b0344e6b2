import { OrdoError } from '../broker/errors/index.js';
import { decodeValue, type Headers } from '../broker/protocol/index.js';

/** Publishes a reply; given by the client to each message so `respond` works. */
export type Responder = (replyTo: string, payload: unknown, headers?: Headers) => Promise<void>;

/**
 * A delivered message. The payload is decoded on first access, so a
 * subscriber that only counts or forwards messages never pays for decoding.
 */
export class Message<T = unknown> {
  /** Always false for at-most-once deliveries: they are never repeated. */
  readonly redelivered = false;
  /** How many times this message has been delivered to this subscription. */
  readonly deliveries = 1;
  private decoded = false;
  private value: unknown;

  constructor(
    /** The topic it was published to. */
    readonly topic: string,
    /** The MessagePack encoding of the payload, as it travelled. */
    readonly rawPayload: Uint8Array,
    readonly headers: Headers,
    /** Where the publisher wants a reply, for requests. */
    readonly replyTo: string | undefined,
    /** The broker's sequence number: increasing in the order the broker accepted messages. */
    readonly seq: number,
    /** When the broker accepted it, in ms since the epoch. */
    readonly timestamp: number,
    private readonly responder: Responder,
  ) {}

  /** The published value: what the publisher passed, bytes stay bytes. Throws ERR_BAD_PAYLOAD on undecodable bytes. */
  get payload(): T {
    if (!this.decoded) {
      try {
        this.value = decodeValue(this.rawPayload);
      } catch (err) {
        throw new OrdoError('ERR_BAD_PAYLOAD', `payload on '${this.topic}': ${(err as Error).message}`);
      }
      this.decoded = true;
    }
    return this.value as T;
  }

  /** An id unique among the messages of one broker run. */
  get id(): string {
    return String(this.seq);
  }

  /** Answers a request (a message with replyTo). */
  respond(payload: unknown, headers?: Headers): Promise<void> {
    if (this.replyTo === undefined) return Promise.resolve();
    return this.responder(this.replyTo, payload, headers);
  }
}

export const EMPTY_HEADERS: Headers = Object.freeze({}) as Headers;
