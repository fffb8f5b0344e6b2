/**
 * Redis peer, at-least-once only: the Debian `redis-server` on a free
 * 127.0.0.1 port with its data in a temp folder, driven by the `redis` Node
 * client over streams (redis-streams.ts). Persistence is the append-only
 * file (`appendonly yes`) with Redis's default `appendfsync everysec` (an
 * fsync a second, in the background) or with `appendfsync always` (the
 * reply waits for the fsync — Ordo's fsync durability); RDB snapshots at
 * their defaults. Redis has no at-most-once pub/sub row here.
 */
import type { WorkloadSpec } from '../workloads/spec.js';
import { RedisStreamsClient } from './redis-streams.js';
import { LOOPBACK, findBinary, freePort, requireBinary } from './server-process.js';
import { ServerTarget, clientPackageAvailable } from './server-target.js';
import type { ConfirmedClient, TargetSetup } from './target.js';

const BINARY = 'redis-server';
/** At-least-once setups, by their `appendfsync`; each needs its own server start. */
const APPENDFSYNC: ReadonlyArray<TargetSetup & { readonly appendfsync: string }> = [
  { id: 'everysec', label: 'AOF, appendfsync everysec', server: 'everysec', appendfsync: 'everysec' },
  { id: 'always', label: 'AOF, appendfsync always', server: 'always', appendfsync: 'always' },
];

/** Starts redis-server and connects with the `redis` client. */
export class RedisTarget extends ServerTarget {
  override readonly name = 'redis';
  override readonly isPeer = true;
  protected override readonly confirmedSetups = APPENDFSYNC;
  private clients = 0;

  override async isAvailable(): Promise<true | string> {
    return (await findBinary(BINARY)) === undefined ? `${BINARY} not installed (apt-get install redis-server)` : clientPackageAvailable('redis');
  }

  /** Streams only: Redis pub/sub is not measured. */
  override supports(spec: WorkloadSpec): true | string {
    return spec.kind === 'confirmed' ? super.supports(spec) : 'at-least-once (streams) only';
  }

  override async start(setup: TargetSetup): Promise<void> {
    const binary = await requireBinary(BINARY);
    const appendfsync = APPENDFSYNC.find((s) => s.id === setup.id)?.appendfsync ?? 'everysec';
    this.port = await freePort();
    const dir = await this.useTempDir('redis');
    const args = ['--bind', LOOPBACK, '--port', String(this.port), '--dir', dir, '--appendonly', 'yes', '--appendfsync', appendfsync];
    await this.launch({ name: BINARY, command: binary, args, readyLine: /Ready to accept connections/, startTimeoutMs: 15_000 });
  }

  override async connectConfirmed(_spec: WorkloadSpec, _setup: TargetSetup): Promise<ConfirmedClient> {
    const { createClient } = await import('redis');
    const client = createClient({
      socket: { host: LOOPBACK, port: this.port, reconnectStrategy: false },
      // node-redis 6 arms a 5 s AbortSignal timer per command by default; the other
      // clients keep no per-command timer and every run has its own bound.
      commandOptions: { timeout: 0 },
    });
    await client.connect();
    return new RedisStreamsClient(client, `bench-${process.pid}-${++this.clients}`);
  }
}
