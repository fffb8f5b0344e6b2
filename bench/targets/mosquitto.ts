/**
 * Mosquitto peer: the Debian `mosquitto` on a free 127.0.0.1 port with a
 * throw-away config, driven by the `mqtt` Node client (MQTT 3.1.1).
 * At-most-once rows: QoS 0, clean sessions, no persistence. At-least-once
 * rows: QoS 1 (the publisher's PUBACK is the confirm, the subscriber's
 * PUBACK the ack) with persistence on as Debian's config ships it, which
 * saves the in-memory state every 30 minutes and at exit, never per message;
 * other limits at their defaults. Exactly-once rows: QoS 2 (the
 * publisher's PUBCOMP is the confirm; the subscriber gets the message on
 * PUBREL and answers PUBCOMP, MQTT 3.1.1 section 4.3.3) on a server that lets
 * the subscriber hold {@link MAX_INFLIGHT} unacknowledged deliveries, like
 * Ordo's consumer and JetStream's: at the default 20, the two extra round
 * trips per QoS 2 delivery leave the subscriber so far behind that
 * `max_queued_messages` (1000) drops most messages. QoS 1 runs on that
 * server too, as QoS 2's baseline.
 */
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { asBuffer } from '../payload.js';
import type { WorkloadSpec } from '../workloads/spec.js';
import { LOOPBACK, findBinary, freePort, requireBinary } from './server-process.js';
import { ServerTarget, clientPackageAvailable } from './server-target.js';
import { PLAIN_SETUP, type BenchClient, type ConfirmedClient, type TargetSetup } from './target.js';

const BINARY = 'mosquitto';
/** Topic of the QoS 1 publish whose PUBACK marks a flush (MQTT handles a connection's packets in order). */
const FLUSH_TOPIC = 'ordo-bench/flush';
/** The at-least-once setup: QoS 1 with Debian's persistence settings. */
const QOS1_SETUP: TargetSetup = { id: 'qos1', label: 'QoS 1, persistence on (saved every 30 min)', server: 'persistent' };
/** `max_inflight_messages` of the exactly-once server: the prefetch of Ordo's and JetStream's consumers. */
const MAX_INFLIGHT = 1000;
/** QoS 1 on the exactly-once server: QoS 2's baseline. */
const QOS1_INFLIGHT_SETUP: TargetSetup = { id: 'qos1-inflight', label: `QoS 1, max_inflight_messages ${MAX_INFLIGHT}`, server: 'inflight' };
/** The exactly-once setup: QoS 2, persistence as Debian's, {@link MAX_INFLIGHT} deliveries in flight. */
const QOS2_SETUP: TargetSetup = {
  id: 'qos2',
  label: `QoS 2, max_inflight_messages ${MAX_INFLIGHT}`,
  server: QOS1_INFLIGHT_SETUP.server,
  baseline: QOS1_INFLIGHT_SETUP.id,
};

/** Starts mosquitto and connects with the `mqtt` client. */
export class MosquittoTarget extends ServerTarget {
  override readonly name = 'mosquitto';
  override readonly isPeer = true;
  protected override readonly confirmedSetups = [QOS1_SETUP, QOS1_INFLIGHT_SETUP];
  protected override readonly exactlyOnceSetups = [QOS2_SETUP];
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
    const persistence = setup.server === PLAIN_SETUP.server ? ['persistence false'] : ['persistence true', `persistence_location ${dir}/`];
    const inflight = setup.server === QOS2_SETUP.server ? [`max_inflight_messages ${MAX_INFLIGHT}`] : [];
    const lines = [`listener ${this.port} ${LOOPBACK}`, 'allow_anonymous true', ...persistence, ...inflight, 'log_dest stderr', 'log_type error', 'log_type warning'];
    await writeFile(config, `${lines.join('\n')}\n`);
    await this.launch({ name: BINARY, command: binary, args: ['-c', config], readyPort: this.port, startTimeoutMs: 15_000 });
  }

  override async connect(_spec: WorkloadSpec): Promise<BenchClient> {
    return new MqttBenchClient(await this.connectMqtt());
  }

  override async connectConfirmed(_spec: WorkloadSpec, setup: TargetSetup): Promise<ConfirmedClient> {
    return new MqttConfirmedClient(await this.connectMqtt(), setup.id === QOS2_SETUP.id ? QOS2 : QOS1);
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
const QOS2 = { qos: 2 } as const;
/** Publish and subscribe options of a confirmed client. */
type ConfirmedQos = typeof QOS1 | typeof QOS2;

/** Routes messages by topic and flushes with a QoS 1 round trip; the two clients below add publish and subscribe. */
abstract class MqttConnection {
  private readonly handlers = new Map<string, (payload: Uint8Array) => void>();

  constructor(protected readonly client: MqttClient) {
    client.on('message', (topic, payload) => this.handlers.get(topic)?.(payload));
  }

  /** Subscribes `topic` with `qos`; resolves on SUBACK. */
  protected async subscribeWith(topic: string, onMessage: (payload: Uint8Array) => void, qos: typeof QOS0 | ConfirmedQos): Promise<void> {
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

/**
 * QoS 1: mqtt.js resolves a publish on its PUBACK and sends the subscriber's
 * PUBACK once the handler returned. QoS 2: it resolves a publish on PUBCOMP,
 * and hands a received message to the handler on PUBREL, then sends PUBCOMP.
 */
class MqttConfirmedClient extends MqttConnection implements ConfirmedClient {
  constructor(
    client: MqttClient,
    private readonly qos: ConfirmedQos,
  ) {
    super(client);
  }

  async publish(topic: string, payload: Uint8Array): Promise<void> {
    await this.client.publishAsync(topic, asBuffer(payload), this.qos);
  }

  consume(topic: string, onMessage: (payload: Uint8Array) => void): Promise<void> {
    return this.subscribeWith(topic, onMessage, this.qos);
  }
}
