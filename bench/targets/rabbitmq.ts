/**
 * RabbitMQ peer: the Debian RabbitMQ started by hand as a private node
 * (`bench-<pid>@localhost`) whose AMQP and distribution listeners, and its own
 * epmd, are bound to 127.0.0.1 on free ports, with every file under a temp
 * folder and no plugins (so no management listener). Driven by `amqplib`.
 * At-most-once rows: publishes to the `amq.topic` exchange without confirms,
 * each subscriber consumes an exclusive queue with auto-ack. Topic levels
 * map to routing-key words (`a/b` → `a.b`). At-least-once rows: publisher
 * confirms and acks (rabbitmq-confirmed.ts), on a classic durable queue
 * (the default queue type) and on a quorum queue, which fsyncs its Raft log
 * before it confirms — Ordo's fsync durability.
 */
import { once } from 'node:events';
import { realpath, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Channel, ChannelModel } from 'amqplib';
import { asBuffer } from '../payload.js';
import type { WorkloadSpec } from '../workloads/spec.js';
import { AmqpConfirmedClient } from './rabbitmq-confirmed.js';
import { LOOPBACK, ServerProcess, findBinary, freePort, isExecutable } from './server-process.js';
import { ServerTarget, clientPackageAvailable } from './server-target.js';
import type { BenchClient, ConfirmedClient, TargetSetup } from './target.js';

const EXCHANGE = 'amq.topic';
/** At-least-once setups, by the `x-queue-type` they declare; one node serves them all. */
const QUEUE_TYPES: ReadonlyArray<TargetSetup & { readonly queueType: string }> = [
  { id: 'classic', label: 'classic durable queue, persistent messages', server: 'plain', queueType: 'classic' },
  { id: 'quorum', label: 'quorum queue: fsync before confirm', server: 'plain', queueType: 'quorum' },
];
/** Where Debian's Erlang keeps epmd when it is not on PATH. */
const ERLANG_BIN = ['/usr/lib/erlang/bin'];

/** Starts a private RabbitMQ node (and its epmd) and connects with `amqplib`. */
export class RabbitMqTarget extends ServerTarget {
  override readonly name = 'rabbitmq';
  override readonly isPeer = true;
  protected override readonly confirmedSetups = QUEUE_TYPES;
  private epmd: ServerProcess | undefined;

  override async isAvailable(): Promise<true | string> {
    if ((await serverScript()) === undefined) return 'rabbitmq-server not installed';
    if ((await findBinary('epmd', ERLANG_BIN)) === undefined) return 'epmd (Erlang) not installed';
    return clientPackageAvailable('amqplib');
  }

  /** Every setup runs on the same node: the queue type is chosen per queue. */
  override async start(_setup: TargetSetup): Promise<void> {
    const script = await serverScript();
    const epmdBinary = await findBinary('epmd', ERLANG_BIN);
    if (script === undefined || epmdBinary === undefined) throw new Error('rabbitmq-server not installed');
    const dir = await this.useTempDir('rabbitmq');
    const [epmdPort, distPort] = [await freePort(), await freePort()];
    this.port = await freePort();
    // Our own epmd in the foreground, so it is ours to stop and the node does not spawn a global one.
    this.epmd = await ServerProcess.start({
      name: 'epmd',
      command: epmdBinary,
      args: ['-address', LOOPBACK, '-port', String(epmdPort)],
      readyPort: epmdPort,
      startTimeoutMs: 10_000,
    });
    const files = {
      config: join(dir, 'rabbitmq.conf'),
      plugins: join(dir, 'enabled_plugins'),
      envConf: join(dir, 'rabbitmq-env.conf'),
    };
    await writeFile(files.config, `listeners.tcp.1 = ${LOOPBACK}:${this.port}\n`);
    await writeFile(files.plugins, '[].\n');
    await writeFile(files.envConf, '');
    await this.launch({
      name: 'rabbitmq-server',
      command: script,
      args: [],
      cwd: dir,
      env: {
        HOME: dir, // the Erlang cookie is written here
        ERL_EPMD_ADDRESS: LOOPBACK,
        ERL_EPMD_PORT: String(epmdPort),
        RABBITMQ_NODENAME: `bench-${process.pid}@localhost`,
        RABBITMQ_NODE_IP_ADDRESS: LOOPBACK,
        RABBITMQ_NODE_PORT: String(this.port),
        RABBITMQ_DIST_PORT: String(distPort),
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
        RABBITMQ_CONFIG_FILE: files.config,
        RABBITMQ_CONF_ENV_FILE: files.envConf,
        RABBITMQ_ENABLED_PLUGINS_FILE: files.plugins,
        RABBITMQ_PLUGINS_EXPAND_DIR: join(dir, 'plugins-expand'),
        RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
        RABBITMQ_LOG_BASE: join(dir, 'log'),
        RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
        RABBITMQ_LOGS: '-',
      },
      readyLine: /Server startup complete/,
      startTimeoutMs: 60_000,
      stopTimeoutMs: 15_000,
    });
  }

  /** epmd goes after the node, which is registered with it until it stops. */
  protected override async stopAfterServer(): Promise<void> {
    await this.epmd?.stop();
    this.epmd = undefined;
  }

  override async connect(_spec: WorkloadSpec): Promise<BenchClient> {
    const connection = await this.connectAmqp();
    return new AmqpBenchClient(connection, await connection.createChannel());
  }

  override async connectConfirmed(_spec: WorkloadSpec, setup: TargetSetup): Promise<ConfirmedClient> {
    const queueType = QUEUE_TYPES.find((type) => type.id === setup.id)?.queueType ?? 'classic';
    const connection = await this.connectAmqp();
    return new AmqpConfirmedClient(connection, await connection.createConfirmChannel(), { 'x-queue-type': queueType });
  }

  private async connectAmqp(): Promise<ChannelModel> {
    const amqp = await import('amqplib');
    return amqp.connect(`amqp://guest:guest@${LOOPBACK}:${this.port}`);
  }
}

class AmqpBenchClient implements BenchClient {
  constructor(
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
  ) {}

  publish(topic: string, payload: Uint8Array): void | Promise<void> {
    // `false` means the channel's buffer is full: wait for 'drain'.
    if (!this.channel.publish(EXCHANGE, toRoutingKey(topic), asBuffer(payload))) {
      return once(this.channel, 'drain').then(() => undefined);
    }
  }

  async subscribe(topic: string, onMessage: (payload: Uint8Array) => void): Promise<void> {
    const { queue } = await this.channel.assertQueue('', { exclusive: true, autoDelete: true });
    await this.channel.bindQueue(queue, EXCHANGE, toRoutingKey(topic));
    await this.channel.consume(queue, (msg) => msg !== null && onMessage(msg.content), { noAck: true });
  }

  async flush(): Promise<void> {
    // A synchronous method on the publishing channel is answered after the
    // publishes before it were routed.
    await this.channel.checkExchange(EXCHANGE);
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}

function toRoutingKey(topic: string): string {
  return topic.replaceAll('/', '.');
}

/**
 * The rabbitmq-server start script itself: Debian's PATH entry is a wrapper
 * that switches to the rabbitmq user, which could not read our temp folder.
 */
async function serverScript(): Promise<string | undefined> {
  const onPath = await findBinary('rabbitmq-server', ['/usr/lib/rabbitmq/bin']);
  if (onPath === undefined) return undefined;
  const real = await realpath(onPath).catch(() => onPath);
  if (basename(real) === 'rabbitmq-server') return real;
  const beside = join(dirname(real), 'rabbitmq-server');
  return (await isExecutable(beside)) ? beside : onPath;
}
