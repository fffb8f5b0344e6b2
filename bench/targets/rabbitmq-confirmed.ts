/**
 * RabbitMQ at-least-once: publisher confirms on a confirm channel, persistent
 * messages through the default exchange to a durable queue named after the
 * destination, consumed with manual acks and a prefetch of
 * {@link PREFETCH} (the same window Ordo's consumer gets).
 */
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import { asBuffer } from '../payload.js';
import type { ConfirmedClient } from './target.js';

/** Unacked deliveries the consumer may hold. */
const PREFETCH = 1000;
/** The default exchange routes to the queue named by the routing key. */
const DEFAULT_EXCHANGE = '';
/** A synchronous method whose reply marks a flush (a channel handles its methods in order). */
const FLUSH_EXCHANGE = 'amq.direct';
const PERSISTENT: Options.Publish = { persistent: true };

/** Publishes and consumes on one confirm channel; `queueArguments` choose the queue type. */
export class AmqpConfirmedClient implements ConfirmedClient {
  constructor(
    private readonly connection: ChannelModel,
    private readonly channel: ConfirmChannel,
    private readonly queueArguments: Record<string, unknown>,
  ) {}

  publish(queue: string, payload: Uint8Array): Promise<void> {
    // The callback runs on the broker's basic.ack (or nack) for this publish.
    return new Promise((resolve, reject) => {
      this.channel.publish(DEFAULT_EXCHANGE, queue, asBuffer(payload), PERSISTENT, (err) => (err == null ? resolve() : reject(err)));
    });
  }

  async consume(queue: string, onMessage: (payload: Uint8Array) => void): Promise<void> {
    await this.channel.assertQueue(queue, { durable: true, arguments: this.queueArguments });
    await this.channel.prefetch(PREFETCH);
    await this.channel.consume(queue, (msg) => {
      if (msg === null) return;
      onMessage(msg.content);
      this.channel.ack(msg);
    });
  }

  async flush(): Promise<void> {
    await this.channel.checkExchange(FLUSH_EXCHANGE);
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}
