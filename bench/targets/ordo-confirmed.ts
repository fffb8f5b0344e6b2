/**
 * Ordo at-least-once, as an application writes it with the SDK: a queue
 * (`send`, which resolves once the broker committed the message, and
 * `consume` with a handler whose return acks) or a topic (`publish` and
 * `subscribe` with `qos: 'at-least-once'`). Both consumers hold up to
 * {@link PREFETCH} unacked deliveries; the SDK batches the acks.
 */
import type { OrdoClient, PublishOptions, SubscribeOptions } from '../../client/index.js';
import type { ConfirmedClient, StoreCounters, TargetSetup } from './target.js';

/** Unacked deliveries the consumer may hold. */
const PREFETCH = 1000;

/**
 * Ordo's setups: where the messages go. Both run on the broker's default
 * durability, fsync, each on a broker of its own so neither inherits the
 * other's stored messages.
 */
export const ORDO_CONFIRMED_SETUPS = [
  { id: 'queue', label: 'queue (send/consume), fsync', server: 'queue' },
  { id: 'topic', label: 'topic (publish/subscribe), fsync', server: 'topic' },
] as const satisfies readonly TargetSetup[];

const AT_LEAST_ONCE: PublishOptions = { qos: 'at-least-once' };
const SUBSCRIBE: SubscribeOptions = { qos: 'at-least-once', prefetch: PREFETCH };

/** One SDK connection for a queue or a topic setup. */
export class OrdoConfirmedClient implements ConfirmedClient {
  private readonly isQueue: boolean;

  constructor(
    private readonly client: OrdoClient,
    setup: TargetSetup,
  ) {
    this.isQueue = setup.id === 'queue';
  }

  publish(destination: string, payload: Uint8Array): Promise<void> {
    return this.isQueue ? this.client.send(destination, payload) : this.client.publish(destination, payload, AT_LEAST_ONCE);
  }

  async consume(destination: string, onMessage: (payload: Uint8Array) => void): Promise<void> {
    const handler = (msg: { payload: Uint8Array }): void => onMessage(msg.payload);
    if (!this.isQueue) {
      await this.client.subscribe<Uint8Array>(destination, handler, SUBSCRIBE);
      return;
    }
    await this.client.createQueue(destination);
    await this.client.consume<Uint8Array>(destination, handler, { prefetch: PREFETCH });
  }

  async flush(): Promise<void> {
    await this.client.flush();
  }

  async storeCounters(): Promise<StoreCounters> {
    const { store } = await this.client.stats();
    return { commits: store.fsyncs, messages: store.messages };
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
