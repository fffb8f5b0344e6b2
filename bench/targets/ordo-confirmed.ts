/**
 * Ordo's confirmed rows, as an application writes them with the SDK: a queue
 * (`send`, which resolves once the broker committed the message, and
 * `consume` with a handler whose return acks) or a topic (`publish` and
 * `subscribe`), with the workload's guarantee as `qos`. Both consumers hold
 * up to {@link PREFETCH} unacked deliveries; the SDK batches the acks.
 * Exactly-once adds a dedup store to the consumer (ordo-exactly-once.ts).
 */
import type { DedupStore, OrdoClient, PublishOptions, Qos } from '../../client/index.js';
import type { WorkloadSpec } from '../workloads/spec.js';
import type { ConfirmedClient, StoreCounters, TargetSetup } from './target.js';

/** Unacked deliveries the consumer may hold. */
const PREFETCH = 1000;

/** An Ordo setup: where the messages go. */
export interface OrdoSetup extends TargetSetup {
  /** `queue`: send / consume; `topic`: publish / subscribe. */
  readonly destination: 'queue' | 'topic';
}

/**
 * Ordo's at-least-once setups. Both run on the broker's default durability,
 * fsync, each on a broker of its own so neither inherits the other's stored
 * messages.
 */
export const ORDO_CONFIRMED_SETUPS = [
  { id: 'queue', label: 'queue (send/consume), fsync', server: 'queue', destination: 'queue' },
  { id: 'topic', label: 'topic (publish/subscribe), fsync', server: 'topic', destination: 'topic' },
] as const satisfies readonly OrdoSetup[];

/** An exactly-once consumer's dedup store, and how to close it (and remove its files). */
export interface OpenedDedupStore {
  readonly store: DedupStore;
  close(): Promise<void>;
}

/** One SDK connection for a queue or a topic setup, at-least-once or (with `openDedup`) exactly-once. */
export class OrdoConfirmedClient implements ConfirmedClient {
  private readonly qos: Qos;
  /** Publish and send options: none for an at-least-once send, the SDK's default, as an application writes it. */
  private readonly publishOptions: PublishOptions | undefined;
  private dedup: OpenedDedupStore | undefined;
  /** The queue this consumer made, deleted (with its dead-letter queue) at close. */
  private createdQueue: string | undefined;

  constructor(
    private readonly client: OrdoClient,
    spec: WorkloadSpec,
    private readonly setup: OrdoSetup,
    /** Exactly-once: opens the consumer's dedup store (a producer needs none). */
    private readonly openDedup?: () => Promise<OpenedDedupStore>,
  ) {
    this.qos = spec.qos;
    this.publishOptions = setup.destination === 'queue' && spec.qos === 'at-least-once' ? undefined : { qos: spec.qos };
  }

  publish(destination: string, payload: Uint8Array): Promise<void> {
    return this.setup.destination === 'queue'
      ? this.client.send(destination, payload, this.publishOptions)
      : this.client.publish(destination, payload, this.publishOptions);
  }

  async consume(destination: string, onMessage: (payload: Uint8Array) => void): Promise<void> {
    this.dedup = await this.openDedup?.();
    const options = { qos: this.qos, prefetch: PREFETCH, ...(this.dedup === undefined ? {} : { dedup: this.dedup.store }) };
    const handler = (msg: { payload: Uint8Array }): void => onMessage(msg.payload);
    if (this.setup.destination === 'topic') {
      await this.client.subscribe<Uint8Array>(destination, handler, options);
      return;
    }
    await this.client.createQueue(destination);
    this.createdQueue = destination;
    await this.client.consume<Uint8Array>(destination, handler, options);
  }

  async flush(): Promise<void> {
    await this.client.flush();
  }

  async storeCounters(): Promise<StoreCounters> {
    const { store } = await this.client.stats();
    return { commits: store.fsyncs, messages: store.messages };
  }

  async close(): Promise<void> {
    // A broker that outlives the bench (--url) keeps no empty queue per run.
    for (const queue of this.createdQueue === undefined ? [] : [this.createdQueue, `${this.createdQueue}.dlq`]) {
      await this.client.deleteQueue(queue).catch(() => undefined);
    }
    await this.client.close();
    await this.dedup?.close();
  }
}
