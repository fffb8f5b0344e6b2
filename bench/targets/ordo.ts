/**
 * Ordo itself: the broker of this checkout started as a child process
 * (`node bin/ordo.js broker --host 127.0.0.1 --port 0 --data <temp dir>`),
 * exactly as an operator starts it, and driven by the SDK in client/.
 */
import { access } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OrdoClient, PublishOptions, SubscribeOptions } from '../../client/index.js';
import type { WorkloadSpec } from '../workloads/spec.js';
import { ORDO_CONFIRMED_SETUPS, OrdoConfirmedClient, type OrdoSetup } from './ordo-confirmed.js';
import { ORDO_EXACTLY_ONCE_SETUPS, openDedupStore } from './ordo-exactly-once.js';
import { LOOPBACK } from './server-process.js';
import { ServerTarget } from './server-target.js';
import type { BenchClient, ConfirmedClient, TargetSetup } from './target.js';

/** The line `ordo broker` prints once it accepts connections (DESIGN.md, CLI). */
const LISTENING_LINE = /listening on (ws:\/\/\S+)/;

/** Starts `ordo broker` from this checkout and connects with the SDK. */
export class OrdoTarget extends ServerTarget {
  override readonly name = 'ordo';
  override readonly isPeer = false;
  protected override readonly confirmedSetups = ORDO_CONFIRMED_SETUPS;
  protected override readonly exactlyOnceSetups = ORDO_EXACTLY_ONCE_SETUPS;
  private url = '';

  /** `externalUrl`: drive a broker that is already running there (`ordo bench --url`) instead of starting one. */
  constructor(private readonly externalUrl?: string) {
    super();
  }

  override async isAvailable(): Promise<true | string> {
    const root = await findRepoRoot();
    if (root === undefined) return 'bin/ordo.js not found above the bench folder';
    for (const built of ['dist/cli/main.js', 'dist/client/index.js']) {
      if (!(await exists(join(root, built)))) return `${built} missing (run npm run build)`;
    }
    return true;
  }

  override supports(spec: WorkloadSpec): true | string {
    // Only the publish/subscribe guarantee is wired through so far; orderings come with their issues.
    return spec.order === 'fifo' ? true : `${spec.order} ordering not wired into the bench yet`;
  }

  /** Every setup runs the broker as configured by default (durability fsync). */
  override async start(_setup: TargetSetup): Promise<void> {
    if (this.externalUrl !== undefined) {
      this.url = this.externalUrl;
      return;
    }
    const root = await findRepoRoot();
    if (root === undefined) throw new Error('bin/ordo.js not found');
    const dir = await this.useTempDir('ordo');
    const server = await this.launch({
      name: 'ordo broker',
      command: process.execPath,
      args: [join(root, 'bin', 'ordo.js'), 'broker', '--host', LOOPBACK, '--port', '0', '--data', dir],
      cwd: root,
      readyLine: LISTENING_LINE,
      startTimeoutMs: 15_000,
    });
    const match = server.matchOutput(LISTENING_LINE);
    if (match === null) throw new Error('ordo broker printed no URL');
    this.url = match[1];
  }

  override async connect(spec: WorkloadSpec): Promise<BenchClient> {
    return new OrdoBenchClient(await this.connectSdk(), spec);
  }

  override async connectConfirmed(spec: WorkloadSpec, setup: TargetSetup): Promise<ConfirmedClient> {
    const exactlyOnce = ORDO_EXACTLY_ONCE_SETUPS.find((s) => s.id === setup.id);
    const ordoSetup: OrdoSetup | undefined = exactlyOnce ?? ORDO_CONFIRMED_SETUPS.find((s) => s.id === setup.id);
    if (ordoSetup === undefined) throw new Error(`ordo: no setup ${setup.id}`);
    const openDedup = exactlyOnce === undefined ? undefined : () => openDedupStore(exactlyOnce);
    return new OrdoConfirmedClient(await this.connectSdk(), spec, ordoSetup, openDedup);
  }

  /** One SDK connection to the started broker (no reconnect), for workloads that drive the SDK directly (ordering). */
  async connectSdk(): Promise<OrdoClient> {
    const { connect } = await import('../../client/index.js');
    return connect(this.url, { reconnect: false, ...(this.externalUrl === undefined ? {} : credentialsFromEnv()) });
  }
}

class OrdoBenchClient implements BenchClient {
  /** Publish options; none for at-most-once, the SDK's default, as an application would write it. */
  private readonly options: PublishOptions | undefined;
  private readonly subscribeOptions: SubscribeOptions;
  private failure: unknown;
  private readonly recordFailure = (err: unknown): void => {
    this.failure ??= err;
  };

  constructor(
    private readonly client: OrdoClient,
    spec: WorkloadSpec,
  ) {
    this.options = spec.qos === 'at-most-once' ? undefined : { qos: spec.qos };
    this.subscribeOptions = spec.qos === 'at-most-once' ? {} : { qos: spec.qos };
  }

  publish(topic: string, payload: Uint8Array): void | Promise<void> {
    const done = this.client.publish(topic, payload, this.options);
    // Above the client's high-water mark: wait until the socket drained.
    if (!this.client.isWritable) return done;
    done.catch(this.recordFailure);
  }

  async subscribe(topic: string, onMessage: (payload: Uint8Array) => void): Promise<void> {
    await this.client.subscribe<Uint8Array>(topic, (msg) => onMessage(msg.payload), this.subscribeOptions);
  }

  async flush(): Promise<void> {
    await this.client.flush();
    if (this.failure !== undefined) throw this.failure;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/** A running broker with authentication: the login of the CLI's environment (ORDO_USER and ORDO_PASSWORD, or ORDO_TOKEN). */
function credentialsFromEnv(): { username?: string; password?: string; token?: string } {
  const { ORDO_USER: username, ORDO_PASSWORD: password, ORDO_TOKEN: token } = process.env;
  return { ...(username !== undefined && { username }), ...(password !== undefined && { password }), ...(token !== undefined && { token }) };
}

/** The checkout's root: the nearest folder above this module that holds bin/ordo.js. */
async function findRepoRoot(): Promise<string | undefined> {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (await exists(join(dir, 'bin', 'ordo.js'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
