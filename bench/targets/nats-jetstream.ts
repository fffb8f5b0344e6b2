/**
 * NATS at-least-once: JetStream with file storage. The consumer adds a
 * stream for the destination's subject (defaults: limits retention) and a
 * durable pull consumer with explicit acks, and pulls
 * {@link MAX_MESSAGES} at a time (the same window Ordo's consumer gets); the
 * producer's `js.publish` resolves on the stream's PubAck.
 *
 * Exactly-once, as NATS documents it: each publish carries a `Nats-Msg-Id`
 * (the producer's id and a sequence number) that the stream drops when it
 * repeats within its duplicate window (default 2 min), and the consumer
 * double-acks: `ackAck()` waits for the server's reply, so an ack that was
 * lost cannot lead to a redelivery unnoticed.
 */
import { randomBytes } from 'node:crypto';
import type { ConsumerMessages, JetStreamClient, JetStreamPublishOptions, JsMsg, NatsConnection } from 'nats';
import type { ConfirmedClient } from './target.js';

/** Messages a pull asks for: unacked deliveries the consumer may hold. */
const MAX_MESSAGES = 1000;
const CONSUMER = 'bench';

/** How a {@link JetStreamConfirmedClient} publishes and acks. */
export type JetStreamGuarantee = 'at-least-once' | 'exactly-once';

/** One NATS connection with its JetStream context. */
export class JetStreamConfirmedClient implements ConfirmedClient {
  private readonly js: JetStreamClient;
  private messages: ConsumerMessages | undefined;
  /** Exactly-once: the `Nats-Msg-Id` prefix of this producer, and the double acks in flight. */
  private readonly exactlyOnce: { readonly producer: string; sent: number; readonly acks: PendingAcks } | undefined;

  constructor(
    private readonly nc: NatsConnection,
    guarantee: JetStreamGuarantee,
  ) {
    this.js = nc.jetstream();
    this.exactlyOnce = guarantee === 'exactly-once' ? { producer: randomBytes(8).toString('hex'), sent: 0, acks: new PendingAcks() } : undefined;
  }

  async publish(destination: string, payload: Uint8Array): Promise<void> {
    await this.js.publish(toSubject(destination), payload, this.publishOptions());
  }

  /** Exactly-once: a Msg-Id no other publish of any producer carries. */
  private publishOptions(): Partial<JetStreamPublishOptions> | undefined {
    const eo = this.exactlyOnce;
    return eo === undefined ? undefined : { msgID: `${eo.producer}-${++eo.sent}` };
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
        this.ack(msg);
      }
    })();
  }

  /** At-least-once: a plain ack. Exactly-once: a double ack, not awaited here (the next message need not wait), but by flush. */
  private ack(msg: JsMsg): void {
    if (this.exactlyOnce === undefined) msg.ack();
    else this.exactlyOnce.acks.add(msg.ackAck());
  }

  /** The PONG comes after the server read every ack sent before; double acks are done when their replies are in. */
  async flush(): Promise<void> {
    await this.nc.flush();
    await this.exactlyOnce?.acks.settled();
  }

  async close(): Promise<void> {
    await this.messages?.close();
    await this.nc.close();
  }
}

/** Double acks waiting for the server's reply. */
class PendingAcks {
  private readonly pending = new Set<Promise<void>>();
  private failure: unknown;

  add(ack: Promise<boolean>): void {
    const settled: Promise<void> = ack
      .then(
        (isAcked) => {
          if (!isAcked) this.failure ??= new Error('double ack: the message had no reply subject');
        },
        (err: unknown) => {
          this.failure ??= err;
        },
      )
      .finally(() => this.pending.delete(settled));
    this.pending.add(settled);
  }

  /** Resolves once every ack added so far has its reply; rejects with the first that failed. */
  async settled(): Promise<void> {
    await Promise.all(this.pending);
    if (this.failure !== undefined) throw this.failure;
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
