/**
 * The seam between workloads and brokers. A workload only sees
 * {@link BenchTarget} and {@link BenchClient}; each broker (Ordo and its peers)
 * provides one adapter over its own server binary and Node client, so every
 * target runs the very same workload code.
 */
import type { WorkloadSpec } from '../workloads/spec.js';

/** One connection to a target, driven by a workload. */
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

/** A broker the harness can start, connect to and stop. */
export interface BenchTarget {
  /** Short name shown in the table: `ordo`, `nats`, `mosquitto`, `rabbitmq`. */
  readonly name: string;
  /** Whether this target is one of the peers Ordo is compared with. */
  readonly isPeer: boolean;
  /** `true` when the target can run here, else the reason it cannot (shown as "skipped: …"). */
  isAvailable(): Promise<true | string>;
  /** `true` when the target can run `spec`, else the reason it cannot. */
  supports(spec: WorkloadSpec): true | string;
  /** Starts a private server on 127.0.0.1 with throw-away state; resolves once it accepts clients. */
  start(): Promise<void>;
  /** Stops the server started by {@link start} and removes its state. Safe to call twice. */
  stop(): Promise<void>;
  /** CPU time the server process used since it started, ms; undefined when it cannot be read. */
  serverCpuMs(): Promise<number | undefined>;
  /** Opens one connection that publishes and subscribes as `spec` asks. */
  connect(spec: WorkloadSpec): Promise<BenchClient>;
}

/** `supports` for peers: they run only what maps onto their plain pub/sub. */
export function supportsAtMostOnceFifo(spec: WorkloadSpec): true | string {
  if (spec.qos !== 'at-most-once') return `no ${spec.qos} equivalent in this adapter`;
  if (spec.order !== 'fifo') return `no ${spec.order} ordering`;
  return true;
}
