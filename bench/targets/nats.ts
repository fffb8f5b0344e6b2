/**
 * NATS peer: the Debian `nats-server` on a free 127.0.0.1 port, driven by the
 * `nats` Node client. At-most-once rows: core publish/subscribe (no
 * JetStream). At-least-once rows: JetStream with file storage in a temp
 * folder (nats-jetstream.ts), at the default `sync_interval` (an fsync every
 * 2 minutes) and with `sync_interval: always` (an fsync per write, before
 * the PubAck — Ordo's fsync durability; nats-server 2.10 or later).
 * Exactly-once rows: JetStream at the default `sync_interval`, with Msg-Id
 * dedup and double acks.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { NatsConnection } from 'nats';
import type { WorkloadSpec } from '../workloads/spec.js';
import { JetStreamConfirmedClient, toSubject } from './nats-jetstream.js';
import { LOOPBACK, findBinary, freePort, requireBinary } from './server-process.js';
import { ServerTarget, clientPackageAvailable } from './server-target.js';
import type { BenchClient, ConfirmedClient, TargetSetup } from './target.js';

const BINARY = 'nats-server';
const JETSTREAM_DEFAULT: TargetSetup = { id: 'jetstream', label: 'JetStream file, fsync every 2 min', server: 'jetstream' };
const JETSTREAM_SYNC_ALWAYS: TargetSetup = { id: 'sync-always', label: 'JetStream file, sync_interval: always', server: 'sync-always' };
/** Exactly-once on the default setup's server: Msg-Id dedup on publish, double ack on consume. */
const JETSTREAM_DEDUP: TargetSetup = {
  id: 'dedup',
  label: 'JetStream file, fsync every 2 min, Msg-Id dedup, double ack',
  server: JETSTREAM_DEFAULT.server,
  baseline: JETSTREAM_DEFAULT.id,
};
/** The first nats-server that knows `sync_interval`. */
const SYNC_INTERVAL_SINCE: readonly number[] = [2, 10, 0];

/** Starts nats-server and connects with the `nats` client. */
export class NatsTarget extends ServerTarget {
  override readonly name = 'nats';
  override readonly isPeer = true;
  protected override readonly confirmedSetups = [JETSTREAM_DEFAULT, JETSTREAM_SYNC_ALWAYS];
  protected override readonly exactlyOnceSetups = [JETSTREAM_DEDUP];

  override async isAvailable(setup?: TargetSetup): Promise<true | string> {
    const binary = await findBinary(BINARY);
    if (binary === undefined) return `${BINARY} not installed`;
    if (setup?.id === JETSTREAM_SYNC_ALWAYS.id) {
      const version = await serverVersion(binary);
      if (compareVersions(version, SYNC_INTERVAL_SINCE) < 0) return `nats-server ${version.join('.')} has no sync_interval (2.10+)`;
    }
    return clientPackageAvailable('nats');
  }

  override async start(setup: TargetSetup): Promise<void> {
    const binary = await requireBinary(BINARY);
    this.port = await freePort();
    // Defaults otherwise: no monitoring port, no clustering.
    const args = ['-a', LOOPBACK, '-p', String(this.port)];
    if (setup.server !== 'plain') args.push('-c', await this.writeJetStreamConfig(setup));
    await this.launch({ name: BINARY, command: binary, args, readyPort: this.port, startTimeoutMs: 15_000 });
  }

  override async connect(_spec: WorkloadSpec): Promise<BenchClient> {
    return new NatsClient(await this.connectNats());
  }

  override async connectConfirmed(_spec: WorkloadSpec, setup: TargetSetup): Promise<ConfirmedClient> {
    return new JetStreamConfirmedClient(await this.connectNats(), setup.id === JETSTREAM_DEDUP.id ? 'exactly-once' : 'at-least-once');
  }

  private async connectNats(): Promise<NatsConnection> {
    const { connect } = await import('nats');
    return connect({ servers: `${LOOPBACK}:${this.port}`, reconnect: false, name: 'ordo-bench' });
  }

  /** A config enabling JetStream with its store in the temp folder; returns its path. */
  private async writeJetStreamConfig(setup: TargetSetup): Promise<string> {
    const dir = await this.useTempDir('nats');
    const sync = setup.id === JETSTREAM_SYNC_ALWAYS.id ? ', sync_interval: always' : '';
    const config = join(dir, 'nats.conf');
    await writeFile(config, `jetstream { store_dir: ${JSON.stringify(join(dir, 'jetstream'))}${sync} }\n`);
    return config;
  }
}

class NatsClient implements BenchClient {
  constructor(private readonly nc: NatsConnection) {}

  publish(topic: string, payload: Uint8Array): void {
    // nats.js queues the bytes and writes them in a microtask; it has no
    // backpressure signal, so the workload's periodic yields let it write.
    this.nc.publish(toSubject(topic), payload);
  }

  async subscribe(topic: string, onMessage: (payload: Uint8Array) => void): Promise<void> {
    this.nc.subscribe(toSubject(topic), {
      callback: (err, msg) => {
        if (err === null) onMessage(msg.data);
      },
    });
    await this.nc.flush(); // the server has the SUB once the PONG is back
  }

  flush(): Promise<void> {
    return this.nc.flush();
  }

  close(): Promise<void> {
    return this.nc.close();
  }
}

/** `nats-server --version` as numbers, e.g. [2, 9, 10]; [0] when it cannot be read. */
async function serverVersion(binary: string): Promise<number[]> {
  const { stdout } = await promisify(execFile)(binary, ['--version']).catch(() => ({ stdout: '' }));
  const match = /v(\d+)\.(\d+)\.(\d+)/.exec(stdout);
  return match === null ? [0] : match.slice(1).map(Number);
}

function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}
