/**
 * NATS peer: the Debian `nats-server` on a free 127.0.0.1 port, driven by the
 * `nats` Node client with core publish/subscribe (no JetStream), the
 * at-most-once equivalent. Topic levels map to subject tokens (`a/b` → `a.b`).
 */
import type { NatsConnection } from 'nats';
import type { WorkloadSpec } from '../workloads/spec.js';
import { LOOPBACK, ServerProcess, findBinary, freePort } from './server-process.js';
import { supportsAtMostOnceFifo, type BenchClient, type BenchTarget } from './target.js';

const BINARY = 'nats-server';

/** Starts nats-server and connects with the `nats` client. */
export class NatsTarget implements BenchTarget {
  readonly name = 'nats';
  readonly isPeer = true;
  private server: ServerProcess | undefined;
  private port = 0;

  async isAvailable(): Promise<true | string> {
    if ((await findBinary(BINARY)) === undefined) return `${BINARY} not installed`;
    try {
      await import('nats');
      return true;
    } catch {
      return 'the nats client package is not installed';
    }
  }

  supports(spec: WorkloadSpec): true | string {
    return supportsAtMostOnceFifo(spec);
  }

  async start(): Promise<void> {
    const binary = await findBinary(BINARY);
    if (binary === undefined) throw new Error(`${BINARY} not installed`);
    this.port = await freePort();
    this.server = await ServerProcess.start({
      name: BINARY,
      command: binary,
      // No config file: defaults, no monitoring port, no clustering.
      args: ['-a', LOOPBACK, '-p', String(this.port)],
      readyPort: this.port,
      startTimeoutMs: 15_000,
    });
  }

  async serverCpuMs(): Promise<number | undefined> {
    return this.server?.cpuTimeMs();
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
  }

  async connect(_spec: WorkloadSpec): Promise<BenchClient> {
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
