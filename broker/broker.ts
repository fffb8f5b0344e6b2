import type { WebSocket } from 'ws';
import type { BrokerConfig } from './config/index.js';
import { Router } from './delivery/index.js';
import { DurableEngine, isConnectionQueue } from './durable/index.js';
import { TotalScopes } from './ordering/index.js';
import type { Store } from './store/index.js';
import { OrdoError } from './errors/index.js';
import type { BrokerStats } from './protocol/index.js';
import { Connection, ProducerClaims, type BrokerContext, type BrokerCounters } from './session/index.js';
import { RateMeter } from './rate-meter.js';
import type { PeerInfo } from './auth/principal.js';
import type { SecurityOptions } from './auth/security-options.js';
import { Security } from './auth/security.js';
import { UserConnections } from './auth/user-connections.js';
import { ResourceAlarms, alarmLogTo } from './guards/index.js';
import { createLogger, type Logger } from './observability/logger.js';
import { logConnectionClose } from './observability/connection-log.js';
import { BrokerMetrics, type MetricsSource } from './observability/metrics.js';
import { Throttle } from './observability/throttle.js';
import { BackupSessions } from './admin/index.js';

/** Name and version the broker announces in its welcome. */
export const SERVER_NAME = 'ordo/0.1.0';

/**
 * The broker's shared state: connections, the router, counters, and the one
 * flush pass per I/O turn that writes every connection's batched frame.
 * Transport-agnostic: server.ts hands it accepted WebSockets.
 */
export class Broker implements BrokerContext {
  readonly router = new Router();
  readonly counters: BrokerCounters = {
    messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, dropped: 0,
    inAtMostOnce: 0, inAtLeastOnce: 0, inExactlyOnce: 0, outAtMostOnce: 0, handlerErrors: 0,
  };
  readonly serverName = SERVER_NAME;
  readonly connections = new Set<Connection>();
  readonly durable: DurableEngine;
  readonly producerClaims = new ProducerClaims();
  readonly scopes: TotalScopes;
  readonly security: Security;
  readonly userConnections = new UserConnections();
  /** Memory and disk watermarks, sampled while the broker runs. */
  readonly alarms: ResourceAlarms;
  /** Prometheus metrics (/metrics), when config.http.metrics is on. */
  readonly metrics: BrokerMetrics | undefined;
  /** Online backups being read by admin clients. */
  readonly backups: BackupSessions;

  /** The last message id given out: at-most-once messages and stored ones share one sequence [protocol 2.10]. */
  private seq: number;
  private readonly dirty: Connection[] = [];
  private isFlushScheduled = false;
  private readonly startedAt = Date.now();
  private readonly rateIn = new RateMeter();
  private readonly rateOut = new RateMeter();
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private isShuttingDown = false;
  /** A failing disk fails every commit: one log line a second says so, with how many more failed. */
  private readonly commitFailures = new Throttle(1000);

  /** `firstSeq`: the store's next message id (ids are never reused). Call start() before attaching connections. */
  constructor(
    readonly config: Readonly<BrokerConfig>,
    store: Store,
    firstSeq: number,
    readonly securityOptions: SecurityOptions = {},
    readonly log: Logger = createLogger(config.log),
  ) {
    this.seq = firstSeq - 1;
    this.scopes = new TotalScopes(config.ordering.scopes);
    const { queues, retention } = config;
    this.durable = new DurableEngine(store, this.router, {
      autoCreateQueues: queues.autoCreate,
      messageCacheBytes: queues.messageCacheBytes,
      retention,
      producers: config.producers,
      maxQueues: config.limits.maxQueues,
    }, () => this.nextSeq());
    this.security = new Security(config, (ops) => this.durable.persister.commit(ops), securityOptions, log);
    this.durable.persister.onFailure = (err) => this.logCommitFailure(err);
    this.backups = new BackupSessions(store, config.dataDir);
    this.timers.push(setInterval(() => this.heartbeat(), config.heartbeatMs));
    this.timers.push(setInterval(() => this.sampleRates(), RateMeter.SAMPLE_MS));
    for (const t of this.timers) t.unref();
    this.alarms = new ResourceAlarms(config, alarmLogTo(log));
    this.alarms.start();
    this.metrics = config.http.metrics ? new BrokerMetrics(this.metricsSource()) : undefined;
  }

  /** Takes over an accepted WebSocket. */
  attach(ws: WebSocket, peer: PeerInfo): void {
    const conn = new Connection(ws, peer, this);
    const attachedAt = Date.now();
    // After the connection's own 'close' listener: the line sees it closed.
    ws.once('close', (code: number, reason: Buffer) => {
      logConnectionClose(this.log, conn, conn.wasOpened, { code, reason: reason.toString(), durationMs: Date.now() - attachedAt });
    });
    if (this.connections.size >= this.config.limits.maxConnections) {
      this.log.warn({ event: 'connection_refused', connectionId: conn.connectionId, address: peer.address, reason: 'maxConnections' }, 'connection refused: the broker holds its maximum of connections');
      conn.fail(new OrdoError('ERR_TOO_MANY_CONNECTIONS', `the broker holds its maximum of ${this.config.limits.maxConnections} connections`));
      return;
    }
    this.connections.add(conn);
  }

  nextSeq(): number {
    return ++this.seq;
  }

  lastSeq(): number {
    return this.seq;
  }

  scheduleFlush(conn: Connection): void {
    this.dirty.push(conn);
    if (this.isFlushScheduled) return;
    this.isFlushScheduled = true;
    // setImmediate runs after the I/O callbacks of this loop turn: every frame
    // that arrived in this turn is answered in one outbound frame per peer.
    setImmediate(() => this.flushAll());
  }

  forget(conn: Connection): void {
    this.connections.delete(conn);
  }

  stats(): BrokerStats {
    return {
      server: this.serverName,
      uptimeMs: Date.now() - this.startedAt,
      connections: this.connections.size,
      subscriptions: this.subscriptionCount(),
      messagesIn: this.counters.messagesIn,
      messagesOut: this.counters.messagesOut,
      bytesIn: this.counters.bytesIn,
      bytesOut: this.counters.bytesOut,
      dropped: this.counters.dropped,
      rateIn: this.rateIn.perSecond(),
      rateOut: this.rateOut.perSecond(),
      connectionList: [...this.connections].map((c) => ({
        connectionId: c.connectionId,
        clientId: c.clientId,
        address: c.address,
        subscriptions: c.subscriptions.size + c.consumers.size,
        messagesIn: c.messagesIn,
        messagesOut: c.messagesOut,
        dropped: c.dropped,
        bufferedBytes: c.queuedBytes,
      })),
      queues: this.durable.queueInfos(),
      store: this.durable.storeStats(),
      memoryAlarm: this.alarms.isMemoryAlarmed,
      diskAlarm: this.alarms.isDiskAlarmed,
    };
  }

  /** Why the broker does not accept messages now (/readyz); empty when it does. */
  notReadyReasons(): string[] {
    const reasons = this.alarms.reasons();
    return this.isShuttingDown ? ['shutting down', ...reasons] : reasons;
  }

  /** Client subscriptions and consumers (the per-connection inbox subscriptions are not counted). */
  private subscriptionCount(): number {
    let n = 0;
    for (const c of this.connections) n += c.subscriptions.size + c.consumers.size;
    return n;
  }

  /** Tells every peer the broker is going away and waits (up to `graceMs`) for the sockets to close. */
  async shutdown(graceMs = 2000): Promise<void> {
    this.isShuttingDown = true;
    for (const t of this.timers) clearInterval(t);
    this.alarms.stop();
    const closing = [...this.connections].map((c) => new Promise<void>((resolve) => {
      if (c.state === 'closed') return resolve();
      c.ws.once('close', () => resolve());
      c.fail(new OrdoError('ERR_SHUTTING_DOWN'));
    }));
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([Promise.all(closing), timeout]);
    for (const c of this.connections) c.ws.terminate();
    this.durable.close();
    await this.backups.closeAll();
  }

  private flushAll(): void {
    this.isFlushScheduled = false;
    const dirty = this.dirty.splice(0);
    for (let i = 0; i < dirty.length; i++) dirty[i].flush();
  }

  /** Drops peers that answered none of the last ping's pongs nor sent anything [protocol 1.4]. */
  private heartbeat(): void {
    for (const c of this.connections) {
      // A connection whose socket a guard paused cannot have read the pong.
      if (!c.isAlive && !c.guard.isPaused) {
        c.ws.terminate();
        continue;
      }
      c.isAlive = false;
      if (c.ws.readyState === c.ws.OPEN) c.ws.ping();
    }
  }

  /** What /metrics reads of this broker (at scrape time). */
  private metricsSource(): MetricsSource {
    const { durable, alarms } = this;
    return {
      counters: this.counters,
      queueCounters: durable.queues.counters,
      commitSizes: durable.persister.commitSizes,
      storeStats: () => ({ ...durable.storeStats(), failures: durable.persister.failures }),
      connectionCount: () => this.connections.size,
      subscriptionCount: () => this.subscriptionCount(),
      queueCount: () => durable.queues.size,
      queueInfos: () => {
        const now = Date.now();
        return durable.queues.list().filter((queue) => !isConnectionQueue(queue.name)).map((queue) => queue.info(now));
      },
      get isMemoryAlarmed() { return alarms.isMemoryAlarmed; },
      get isDiskAlarmed() { return alarms.isDiskAlarmed; },
      uptimeMs: () => Date.now() - this.startedAt,
    };
  }

  /** `commit_failed` (error), at most one line a second: the clients whose operations failed were told [docs/operations.md, Logs]. */
  private logCommitFailure(err: unknown): void {
    if (this.isShuttingDown && (err as { code?: string }).code === 'ERR_SHUTTING_DOWN') return;
    const suppressed = this.commitFailures.pass();
    if (suppressed === undefined) return;
    this.log.error({ event: 'commit_failed', err, ...(suppressed > 0 && { alsoFailed: suppressed }) }, 'a store commit failed');
  }

  private sampleRates(): void {
    this.rateIn.sample(this.counters.messagesIn);
    this.rateOut.sample(this.counters.messagesOut);
    this.durable.sampleRates();
    const now = Date.now();
    for (const c of this.connections) c.sampleRates(now);
  }
}
