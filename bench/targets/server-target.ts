/**
 * What every target shares: one private server process on 127.0.0.1, an
 * optional throw-away folder, the server's CPU time, and stopping both. A
 * target subclasses {@link ServerTarget} and adds how to find, start and
 * connect to its own broker.
 */
import type { WorkloadSpec } from '../workloads/spec.js';
import { ServerProcess, makeTempDir, removeTempDir, type ServerProcessOptions } from './server-process.js';
import {
  PLAIN_SETUP,
  supportsAtMostOnceFifo,
  type BenchClient,
  type BenchTarget,
  type ConfirmedClient,
  type TargetSetup,
} from './target.js';

/** A {@link BenchTarget} whose broker runs as a {@link ServerProcess} started by {@link launch}. */
export abstract class ServerTarget implements BenchTarget {
  abstract readonly name: string;
  abstract readonly isPeer: boolean;
  /** The running server, set by {@link launch}. */
  protected server: ServerProcess | undefined;
  /** The server's temp folder, set by {@link useTempDir}; removed by {@link stop}. */
  protected dir: string | undefined;
  /** The 127.0.0.1 port clients connect to, when the target picks it. */
  protected port = 0;
  /** The setups at-least-once (`confirmed`) workloads run under, the default first; none: the target has no such adapter. */
  protected readonly confirmedSetups: readonly TargetSetup[] = [];
  /** The setups exactly-once (`confirmed`) workloads run under, the default first; none: the target has no such adapter. */
  protected readonly exactlyOnceSetups: readonly TargetSetup[] = [];

  abstract isAvailable(setup?: TargetSetup): Promise<true | string>;
  abstract start(setup: TargetSetup): Promise<void>;

  /**
   * By default what maps onto a peer's plain pub/sub
   * ({@link supportsAtMostOnceFifo}), and `confirmed` workloads when the
   * target has setups for their guarantee ({@link confirmedSetups},
   * {@link exactlyOnceSetups}).
   */
  supports(spec: WorkloadSpec): true | string {
    if (spec.kind !== 'confirmed') return supportsAtMostOnceFifo(spec);
    if (spec.order !== 'fifo') return `no ${spec.order} ordering`;
    return this.setups(spec).length > 0 ? true : `no ${spec.qos} adapter`;
  }

  setups(spec: WorkloadSpec): readonly TargetSetup[] {
    if (spec.kind !== 'confirmed') return [PLAIN_SETUP];
    return spec.qos === 'exactly-once' ? this.exactlyOnceSetups : this.confirmedSetups;
  }

  /** Overridden by targets with a plain pub/sub adapter ({@link supports} keeps others from calling it). */
  async connect(_spec: WorkloadSpec): Promise<BenchClient> {
    throw new Error(`${this.name}: no plain pub/sub adapter`);
  }

  /** Overridden by targets with {@link confirmedSetups}. */
  async connectConfirmed(_spec: WorkloadSpec, setup: TargetSetup): Promise<ConfirmedClient> {
    throw new Error(`${this.name}: no adapter for setup ${setup.id}`);
  }

  async serverCpuMs(): Promise<number | undefined> {
    return this.server?.cpuTimeMs();
  }

  /** Stops the server, then {@link stopAfterServer}, then removes the temp folder. Safe to call twice. */
  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
    await this.stopAfterServer();
    await removeTempDir(this.dir);
    this.dir = undefined;
  }

  /** Stops what else the target started (a helper daemon), once the server is gone. Nothing by default. */
  protected async stopAfterServer(): Promise<void> {}

  /** Makes a fresh temp folder for the server and keeps it in {@link dir}, so {@link stop} removes it. */
  protected async useTempDir(prefix: string): Promise<string> {
    this.dir = await makeTempDir(prefix);
    return this.dir;
  }

  /** Starts the server and keeps it in {@link server}; if it does not come up, runs {@link stop} and rethrows. */
  protected async launch(options: ServerProcessOptions): Promise<ServerProcess> {
    this.server = await ServerProcess.start(options).catch(async (err: unknown) => {
      await this.stop();
      throw err;
    });
    return this.server;
  }
}

/** `true` when Node package `name` (a peer's client) can be imported here, else the skip reason. */
export async function clientPackageAvailable(name: string): Promise<true | string> {
  try {
    await import(name);
    return true;
  } catch {
    return `the ${name} client package is not installed`;
  }
}
