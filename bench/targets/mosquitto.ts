/**
 * Mosquitto peer: the Debian `mosquitto` on a free 127.0.0.1 port with a
 * throw-away config, driven by the `mqtt` Node client (MQTT 3.1.1).
 * At-most-once rows: QoS 0, clean sessions, no persistence. At-least-once
 * rows: QoS 1 (the publisher's PUBACK is the confirm, the subscriber's
 * PUBACK the ack) with persistence on as Debian's config ships it, which
 * saves the in-memory state every 30 minutes and at exit, never per message;
 * other limits at their defaults.
 */
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { asBuffer } from '../payload.js';
import type { WorkloadSpec } from '../workloads/spec.js';
import { LOOPBACK, findBinary, freePort, requireBinary } from './server-process.js';
import { ServerTarget, clientPackageAvailable } from './server-target.js';
import type { BenchClient, ConfirmedClient, TargetSetup } from './target.js';

const BINARY = 'mosquitto';
/** Topic of the QoS 1 publish whose PUBACK marks a flush (MQTT handles a connection's packets in order). */
const FLUSH_TOPIC = 'ordo-bench/flush';
/** The at-least-once setup: QoS 1 with Debian's persistence settings. */
const QOS1_SETUP: TargetSetup = { id: 'qos1', label: 'QoS 1, persistence on (saved every 30 min)', server: 'persistent' };

/** Starts mosquitto and connects with the `mqtt` client. */
export class MosquittoTarget extends ServerTarget {
  override readonly name = 'mosquitto';
  override readonly isPeer = true;
  protected override readonly confirmedSetups = [QOS1_SETUP];
  private clients = 0;

  override async isAvailable(): Promise<true | string> {
    return (await findBinary(BINARY)) === undefined ? `${BINARY} not installed` : clientPackageAvailable('mqtt');
  }

  override async start(setup: TargetSetup): Promise<void> {
    const binary = await requireBinary(BINARY);
    this.port = await freePort();
    const dir = await this.useTempDir('mosquitto');
    const config = join(dir, 'mosquitto.conf');
    // Debian's /etc/mosquitto/mosquitto.conf: persistence true (autosave_interval stays at its 1800 s default).
    const persistence = setup.server === QOS1_SETUP.server ? ['persistence true', `persistence_location ${dir}/`] : ['persistence false'];
    const lines = [`listener ${this.port} ${LOOPBACK}`, 'allow_anonymous true', ...persistence, 'log_dest stderr', 'log_type error', 'log_type warning'];
    await writeFile(config, `${lines.join('\n')}\n`);
    await this.launch({ name: BINARY, command: binary, args: ['-c', config], readyPort: this.port, startTimeoutMs: 15_000 });
  }

  override async connect(_spec: WorkloadSpec): Promise<BenchClient> {
    return new MqttBenchClient(await this.connectMqtt());
  }

  override async connectConfirmed(_spec: WorkloadSpec, _setup: TargetSetup): Promise<ConfirmedClient> {
    return new MqttConfirmedClient(await this.connectMqtt());
  }

  private async connectMqtt(): Promise<MqttClient> {
    const { connectAsync } = await import('mqtt');
    return connectAsync(`mqtt://${LOOPBACK}:${this.port}`, {
      clientId: `ordo-bench-${process.pid}-${++this.clients}`,
      clean: true,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
  }
}

const QOS0 = { qos: 0 } as const;
const QOS1 = { qos: 1 } as const;

/** Routes messages by topic and flushes with a QoS 1 round trip; the two clients below add publish and subscribe. */
abstract class MqttConnection {
  private readonly handlers = new Map<string, (payload: Uint8Array) => void>();

  constructor(protected readonly client: MqttClient) {
    client.on('message', (topic, payload) => this.handlers.get(topic)?.(payload));
  }

  /** Subscribes `topic` with `qos`; resolves on SUBACK. */
  protected async subscribeWith(topic: string, onMessage: (payload: Uint8Array) => void, qos: typeof QOS0 | typeof QOS1): Promise<void> {
    this.handlers.set(topic, onMessage);
    await this.client.subscribeAsync(topic, qos);
  }

  async flush(): Promise<void> {
    await this.client.publishAsync(FLUSH_TOPIC, '', QOS1);
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}

class MqttBenchClient extends MqttConnection implements BenchClient {
  publish(topic: string, payload: Uint8Array): void | Promise<void> {
    this.client.publish(topic, asBuffer(payload), QOS0);
    // mqtt.js writes straight to the socket stream: wait when it is full.
    if (this.client.stream.writableNeedDrain) return once(this.client.stream, 'drain').then(() => undefined);
  }

  subscribe(topic: string, onMessage: (payload: Uint8Array) => void): Promise<void> {
    return this.subscribeWith(topic, onMessage, QOS0);
  }
}

/** QoS 1: mqtt.js resolves a publish on its PUBACK and sends the subscriber's PUBACK once the handler returned. */
class MqttConfirmedClient extends MqttConnection implements ConfirmedClient {
  async publish(topic: string, payload: Uint8Array): Promise<void> {
    await this.client.publishAsync(topic, asBuffer(payload), QOS1);
  }

  consume(topic: string, onMessage: (payload: Uint8Array) => void): Promise<void> {
    return this.subscribeWith(topic, onMessage, QOS1);
  }
}
