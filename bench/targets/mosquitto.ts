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
import { LOOPBACK, findBinary, freePort, requireBinary } from './server-process.js';
import { ServerTarget, clientPackageAvailable } from './server-target.js';
import type { BenchClient } from './target.js';

const BINARY = 'mosquitto';
/** Topic of the QoS 1 publish whose PUBACK marks a flush (MQTT handles a connection's packets in order). */
const FLUSH_TOPIC = 'ordo-bench/flush';

/** Starts mosquitto and connects with the `mqtt` client. */
export class MosquittoTarget extends ServerTarget {
  override readonly name = 'mosquitto';
  override readonly isPeer = true;
  private clients = 0;

  override async isAvailable(): Promise<true | string> {
    return (await findBinary(BINARY)) === undefined ? `${BINARY} not installed` : clientPackageAvailable('mqtt');
  }

  override async start(): Promise<void> {
    const binary = await requireBinary(BINARY);
    this.port = await freePort();
    const config = join(await this.useTempDir('mosquitto'), 'mosquitto.conf');
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
    await this.launch({ name: BINARY, command: binary, args: ['-c', config], readyPort: this.port, startTimeoutMs: 15_000 });
  }

  override async connect(_spec: WorkloadSpec): Promise<BenchClient> {
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
