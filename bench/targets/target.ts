/**
 * The seam between workloads and brokers. A workload only sees
 * {@link BenchTarget}, {@link BenchClient} and {@link ConfirmedClient}; each
 * broker (Ordo and its peers) provides one adapter over its own server binary
 * and Node client, so every target runs the very same workload code.
 */
import type { WorkloadSpec } from '../workloads/spec.js';

/** One connection to a target, driven by an at-most-once workload. */
export interface BenchClient {
  /**
   * Publishes `payload` on `topic` with the guarantee of the spec the client
   * was connected for. Returning a promise means "wait for it before
   * publishing more" (backpressure); returning nothing means "go on".
   * The payload is never modified afterwards, so a client may keep it.
   */
  publish(topic: string, payload: Uint8Array): void | Promise<void>;
  /**
   * Subscribes to `topic` (an exact name, `/`-separated). Resolves once the
   * server has the subscription, so a publish made afterwards reaches it.
   */
  subscribe(topic: string, onMessage: (payload: Uint8Array) => void): Promise<void>;
  /** Resolves once everything published before was processed by the server (a round trip). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** What a target's store did, as counted by the target itself (Ordo's `stats().store`). */
export interface StoreCounters {
  /** Fsynced transactions (acks and delivery counts ride along unsynced; see docs/operations.md section 6). */
  readonly commits: number;
  /** Messages stored. */
  readonly messages: number;
}

/**
 * One connection to a target, driven by a confirmed workload: publishes the
 * server confirms, and receipts the client acknowledges. Exactly-once: the
 * server drops a repeated publish and the consumer's ack is itself confirmed
 * (or recorded with the effect), as the target's setup says.
 */
export interface ConfirmedClient {
  /**
   * Publishes `payload` to `destination` (a `/`-separated name: a queue,
   * stream or topic, as the target's setup says) and resolves once the
   * server confirmed it, that is stored it with the setup's durability.
   * Many publishes may be in flight at once; the payload is never modified.
   */
  publish(destination: string, payload: Uint8Array): Promise<void>;
  /**
   * Creates `destination` if the target needs that, and receives from it:
   * `onMessage` sees each message, which is acknowledged once it returned.
   * Resolves once the server has the consumer, so what is published
   * afterwards reaches it.
   */
  consume(destination: string, onMessage: (payload: Uint8Array) => void): Promise<void>;
  /** Resolves once everything this connection sent before (acks included) was processed by the server. */
  flush(): Promise<void>;
  /** The server's own store counters, for a target that reports them (Ordo). */
  storeCounters?(): Promise<StoreCounters>;
  close(): Promise<void>;
}

/**
 * One way a target runs a workload: its server's settings (durability
 * above all) and how its clients use it, e.g. RabbitMQ's quorum queue.
 */
export interface TargetSetup {
  /** Stable id within its target, e.g. `quorum`. */
  readonly id: string;
  /** What the row ran under, e.g. `quorum queue: fsync before confirm`; empty for the plain setup. */
  readonly label: string;
  /** Setups with the same `server` share one server start; each other value gets its own. */
  readonly server: string;
  /**
   * An exactly-once setup's at-least-once counterpart (its `id`): the same
   * destination and durability without dedup, the row its rate is divided by.
   */
  readonly baseline?: string;
}

/** The setup of at-most-once workloads: the target as it is configured for plain pub/sub. */
export const PLAIN_SETUP: TargetSetup = { id: 'plain', label: '', server: 'plain' };

/** A broker the harness can start, connect to and stop. */
export interface BenchTarget {
  /** Short name shown in the table: `ordo`, `nats`, `mosquitto`, `rabbitmq`, `redis`. */
  readonly name: string;
  /** Whether this target is one of the peers Ordo is compared with. */
  readonly isPeer: boolean;
  /**
   * `true` when the target can run here, else the reason it cannot (shown
   * as "skipped: …"); with `setup`, whether it can run that setup.
   */
  isAvailable(setup?: TargetSetup): Promise<true | string>;
  /** `true` when the target can run `spec`, else the reason it cannot. */
  supports(spec: WorkloadSpec): true | string;
  /** The setups `spec` runs under here (one row each), the target's default first. */
  setups(spec: WorkloadSpec): readonly TargetSetup[];
  /** Starts a private server for `setup` on 127.0.0.1 with throw-away state; resolves once it accepts clients. */
  start(setup: TargetSetup): Promise<void>;
  /** Stops the server started by {@link start} and removes its state. Safe to call twice. */
  stop(): Promise<void>;
  /** CPU time the server process used since it started, ms; undefined when it cannot be read. */
  serverCpuMs(): Promise<number | undefined>;
  /** Opens one connection that publishes and subscribes as an at-most-once `spec` asks. */
  connect(spec: WorkloadSpec): Promise<BenchClient>;
  /** Opens one connection for a confirmed (at-least-once or exactly-once) `spec` under `setup` (a server started for it). */
  connectConfirmed(spec: WorkloadSpec, setup: TargetSetup): Promise<ConfirmedClient>;
}

/** `supports` for peers: they run only what maps onto their plain pub/sub. */
export function supportsAtMostOnceFifo(spec: WorkloadSpec): true | string {
  if (spec.qos !== 'at-most-once') return `no ${spec.qos} equivalent in this adapter`;
  if (spec.order !== 'fifo') return `no ${spec.order} ordering`;
  return true;
}
