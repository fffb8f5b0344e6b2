/**
 * NATS at-least-once: JetStream with file storage. The consumer adds a
 * stream for the destination's subject (defaults: limits retention) and a
 * durable pull consumer with explicit acks, and pulls
 * {@link MAX_MESSAGES} at a time (the same window Ordo's consumer gets); the
 * producer's `js.publish` resolves on the stream's PubAck.
 */
import type { ConsumerMessages, JetStreamClient, NatsConnection } from 'nats';
import type { ConfirmedClient } from './target.js';

/** Messages a pull asks for: unacked deliveries the consumer may hold. */
const MAX_MESSAGES = 1000;
const CONSUMER = 'bench';

/** One NATS connection with its JetStream context. */
export class JetStreamConfirmedClient implements ConfirmedClient {
  private readonly js: JetStreamClient;
  private messages: ConsumerMessages | undefined;

  constructor(private readonly nc: NatsConnection) {
    this.js = nc.jetstream();
  }

  async publish(destination: string, payload: Uint8Array): Promise<void> {
    await this.js.publish(toSubject(destination), payload);
  }

  async consume(destination: string, onMessage: (payload: Uint8Array) => void): Promise<void> {
    const { AckPolicy, StorageType } = await import('nats');
    const jsm = await this.nc.jetstreamManager();
    const stream = toStreamName(destination);
    await jsm.streams.add({ name: stream, subjects: [toSubject(destination)], storage: StorageType.File });
    await jsm.consumers.add(stream, { durable_name: CONSUMER, ack_policy: AckPolicy.Explicit });
    const consumer = await this.js.consumers.get(stream, CONSUMER);
    const messages = await consumer.consume({ max_messages: MAX_MESSAGES });
    this.messages = messages;
    void (async () => {
      for await (const msg of messages) {
        onMessage(msg.data);
        msg.ack();
      }
    })();
  }

  /** The PONG comes after the server read every ack sent before. */
  flush(): Promise<void> {
    return this.nc.flush();
  }

  async close(): Promise<void> {
    await this.messages?.close();
    await this.nc.close();
  }
}

/** Topic levels map to subject tokens (`a/b` → `a.b`). */
export function toSubject(topic: string): string {
  return topic.replaceAll('/', '.');
}

/** A stream name may not hold `.`, `*`, `>`, path separators or spaces. */
function toStreamName(destination: string): string {
  return destination.replaceAll(/[^A-Za-z0-9_-]/g, '_');
}
