/**
 * Mosquitto peer: the Debian `mosquitto` on a free 127.0.0.1 port with a
 * throw-away config (anonymous, no persistence, other limits at their
 * defaults), driven by the `mqtt` Node client with QoS 0 and clean sessions,
 * the at-most-once equivalent.
 */
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { asBuffer } from '../payload.js';
import type { WorkloadSpec } from '../workloads/spec.js';
import { LOOPBACK, ServerProcess, findBinary, freePort, makeTempDir, removeTempDir } from './server-process.js';
import { supportsAtMostOnceFifo, type BenchClient, type BenchTarget } from './target.js';

const BINARY = 'mosquitto';
/** Topic of the QoS 1 publish whose PUBACK marks a flush (MQTT handles a connection's packets in order). */
const FLUSH_TOPIC = 'ordo-bench/flush';

/** Starts mosquitto and connects with the `mqtt` client. */
export class MosquittoTarget implements BenchTarget {
  readonly name = 'mosquitto';
  readonly isPeer = true;
  private server: ServerProcess | undefined;
  private dir: string | undefined;
  private port = 0;
  private clients = 0;

  async isAvailable(): Promise<true | string> {
    if ((await findBinary(BINARY)) === undefined) return `${BINARY} not installed`;
    try {
      await import('mqtt');
      return true;
    } catch {
      return 'the mqtt client package is not installed';
    }
  }

  supports(spec: WorkloadSpec): true | string {
    return supportsAtMostOnceFifo(spec);
  }

  async start(): Promise<void> {
    const binary = await findBinary(BINARY);
    if (binary === undefined) throw new Error(`${BINARY} not installed`);
    this.port = await freePort();
    this.dir = await makeTempDir('mosquitto');
    const config = join(this.dir, 'mosquitto.conf');
    await writeFile(
      config,
      [
        `listener ${this.port} ${LOOPBACK}`,
        'allow_anonymous true',
        'persistence false',
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        '',
      ].join('\n'),
    );
    this.server = await ServerProcess.start({
      name: BINARY,
      command: binary,
      args: ['-c', config],
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
    await removeTempDir(this.dir);
    this.dir = undefined;
  }

  async connect(_spec: WorkloadSpec): Promise<BenchClient> {
    const { connectAsync } = await import('mqtt');
    const client = await connectAsync(`mqtt://${LOOPBACK}:${this.port}`, {
      clientId: `ordo-bench-${process.pid}-${++this.clients}`,
      clean: true,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    return new MqttBenchClient(client);
  }
}

const QOS0 = { qos: 0 } as const;

class MqttBenchClient implements BenchClient {
  private readonly handlers = new Map<string, (payload: Uint8Array) => void>();

  constructor(private readonly client: MqttClient) {
    client.on('message', (topic, payload) => this.handlers.get(topic)?.(payload));
  }

  publish(topic: string, payload: Uint8Array): void | Promise<void> {
    this.client.publish(topic, asBuffer(payload), QOS0);
    // mqtt.js writes straight to the socket stream: wait when it is full.
    if (this.client.stream.writableNeedDrain) return once(this.client.stream, 'drain').then(() => undefined);
  }

  async subscribe(topic: string, onMessage: (payload: Uint8Array) => void): Promise<void> {
    this.handlers.set(topic, onMessage);
    await this.client.subscribeAsync(topic, QOS0); // resolves on SUBACK
  }

  async flush(): Promise<void> {
    await this.client.publishAsync(FLUSH_TOPIC, '', { qos: 1 });
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}
