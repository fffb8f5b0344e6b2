/**
 * Redis at-least-once over streams: XADD is the publish (its reply the
 * confirm); the consumer creates a consumer group on the stream, reads with
 * XREADGROUP up to {@link COUNT} entries at a time (the same window Ordo's
 * consumer gets) and acks each batch with one XACK once every entry was handled.
 */
import { RESP_TYPES, type RedisClientType } from 'redis';
import { asBuffer } from '../payload.js';
import type { ConfirmedClient } from './target.js';

/** Entries one read may return. */
const COUNT = 1000;
/** How long a read waits for new entries, ms (a new entry ends the wait at once). */
const BLOCK_MS = 1000;
const GROUP = 'bench';
/** The stream field that carries the payload. */
const FIELD = 'p';

type AnyRedisClient = RedisClientType<any, any, any, any, any>;

/** One Redis connection: a producer, or a consumer whose read loop owns it. */
export class RedisStreamsClient implements ConfirmedClient {
  private isReading = false;
  private lastAck: Promise<unknown> = Promise.resolve();
  private readLoop: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: AnyRedisClient,
    /** This connection's consumer name in the group. */
    private readonly name: string,
  ) {}

  async publish(stream: string, payload: Uint8Array): Promise<void> {
    await this.client.xAdd(stream, '*', { [FIELD]: asBuffer(payload) });
  }

  async consume(stream: string, onMessage: (payload: Uint8Array) => void): Promise<void> {
    await this.client.xGroupCreate(stream, GROUP, '$', { MKSTREAM: true });
    this.isReading = true;
    this.readLoop = this.read(stream, onMessage).catch(() => undefined);
  }

  /** The last XACK sent has been answered, so every ack before it was processed. */
  async flush(): Promise<void> {
    await this.lastAck;
  }

  async close(): Promise<void> {
    this.isReading = false;
    // A read may block for BLOCK_MS: drop the connection instead of waiting.
    this.client.destroy();
    await this.readLoop;
  }

  private async read(stream: string, onMessage: (payload: Uint8Array) => void): Promise<void> {
    const reader = this.client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
    while (this.isReading) {
      const reply = await reader.xReadGroup(GROUP, this.name, { key: stream, id: '>' }, { COUNT, BLOCK: BLOCK_MS });
      const entries = reply === null ? [] : (reply as StreamReply).flatMap((s) => s.messages);
      if (entries.length === 0) continue;
      for (const entry of entries) onMessage(entry.message[FIELD]);
      // Not awaited: the next read goes out in the same write, after the ack.
      const ack = this.client.xAck(stream, GROUP, entries.map((entry) => entry.id));
      ack.catch(() => undefined); // a failure surfaces in flush(), or not at all once closing
      this.lastAck = ack;
    }
  }
}

/** XREADGROUP's reply with blob strings mapped to Buffers. */
type StreamReply = Array<{ name: Buffer; messages: Array<{ id: Buffer; message: Record<string, Buffer> }> }>;
