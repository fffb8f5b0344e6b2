/**
 * NATS peer: the Debian `nats-server` on a free 127.0.0.1 port, driven by the
 * `nats` Node client with core publish/subscribe (no JetStream), the
 * at-most-once equivalent. Topic levels map to subject tokens (`a/b` → `a.b`).
 */
import type { NatsConnection } from 'nats';
import type { WorkloadSpec } from '../workloads/spec.js';
import { LOOPBACK, findBinary, freePort, requireBinary } from './server-process.js';
import { ServerTarget, clientPackageAvailable } from './server-target.js';
import type { BenchClient } from './target.js';

const BINARY = 'nats-server';

/** Starts nats-server and connects with the `nats` client. */
export class NatsTarget extends ServerTarget {
  override readonly name = 'nats';
  override readonly isPeer = true;

  override async isAvailable(): Promise<true | string> {
    return (await findBinary(BINARY)) === undefined ? `${BINARY} not installed` : clientPackageAvailable('nats');
  }

  override async start(): Promise<void> {
    const binary = await requireBinary(BINARY);
    this.port = await freePort();
    // No config file: defaults, no monitoring port, no clustering.
    const args = ['-a', LOOPBACK, '-p', String(this.port)];
    await this.launch({ name: BINARY, command: binary, args, readyPort: this.port, startTimeoutMs: 15_000 });
  }

  override async connect(_spec: WorkloadSpec): Promise<BenchClient> {
    const { connect } = await import('nats');
    const nc = await connect({ servers: `${LOOPBACK}:${this.port}`, reconnect: false, name: 'ordo-bench' });
    return new NatsClient(nc);
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

function toSubject(topic: string): string {
  return topic.replaceAll('/', '.');
}
