import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueInfo, StoreStats } from '../protocol/index.js';
import type { BrokerCounters } from '../session/index.js';
import { COMMIT_BATCH_BUCKETS, type CommitSizes, type QueueCounters } from './counters.js';

/** What the metrics read of a broker, at scrape time only. */
export interface MetricsSource {
  readonly counters: Readonly<BrokerCounters>;
  readonly queueCounters: Readonly<QueueCounters>;
  readonly commitSizes: Readonly<CommitSizes>;
  /** The store's counts, and how many batches failed to commit. */
  storeStats(): StoreStats & { failures: number };
  connectionCount(): number;
  subscriptionCount(): number;
  /** Every queue, those of subscriptions named after their connection (`$sub/…`) included. */
  queueCount(): number;
  /**
   * The queues that get per-queue series: not those of subscriptions named
   * after their connection (`$sub/<connection>/<subId>`), which
   * limits.maxQueues does not bound and whose names are new with every
   * connection: a series apiece would never stop growing.
   */
  queueInfos(): QueueInfo[];
  readonly isMemoryAlarmed: boolean;
  readonly isDiskAlarmed: boolean;
  uptimeMs(): number;
}

/** The content type of the text exposition format. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

type Read = () => number;

/**
 * A broker's Prometheus metrics [docs/operations.md, Metrics]: one registry
 * per broker whose counters and gauges take their values from the broker's
 * plain counters when scraped, so the message path never calls prom-client.
 * The process's own metrics (event-loop lag, memory, CPU, from prom-client's
 * default collectors) come from one registry per process, since they are
 * facts of the process and its collectors cannot be stopped once started.
 */
export class BrokerMetrics {
  private readonly registry = new Registry();
  /** The scrape under way: scrapes that come meanwhile share it (so they do not multiply the work). */
  private scraping: Promise<string> | undefined;

  constructor(private readonly source: MetricsSource) {
    processRegistry();
    this.messageMetrics();
    this.queueMetrics();
    this.storeMetrics();
    this.brokerMetrics();
  }

  /** The text exposition of every metric, the process's first. Concurrent calls get the one scrape under way. */
  text(): Promise<string> {
    this.scraping ??= this.scrape().finally(() => { this.scraping = undefined; });
    return this.scraping;
  }

  private async scrape(): Promise<string> {
    const queues = this.source.queueInfos();
    // prom-client writes NaN as `Nan` (the event-loop lag of a scrape that follows another closely has no samples).
    const ofProcess = (await processRegistry().metrics()).replace(/ Nan$/gm, ' NaN');
    return `${ofProcess}\n${await this.registry.metrics()}\n${perQueueText(queues)}${commitSizesText(this.source.commitSizes)}`;
  }

  private messageMetrics(): void {
    const { counters: c, queueCounters: q } = this.source;
    this.counter('ordo_messages_in_total', 'Publishes and sends accepted, by the delivery guarantee asked for.', 'qos', {
      'at-most-once': () => c.inAtMostOnce, 'at-least-once': () => c.inAtLeastOnce, 'exactly-once': () => c.inExactlyOnce,
    });
    this.counter('ordo_messages_out_total', 'Messages sent to subscribers and consumers, by guarantee (at-most-once: no ack expected).', 'qos', {
      'at-most-once': () => c.outAtMostOnce, 'at-least-once': () => q.atLeastOnce, 'exactly-once': () => q.exactlyOnce,
    });
    this.counter('ordo_messages_dropped_total', 'Messages dropped: at-most-once deliveries to a subscriber that could not keep up, and the oldest of a full queue (overflow drop-oldest).', 'reason', {
      slow_subscriber: () => c.dropped, queue_overflow: () => q.overflowDrops,
    });
    this.counter('ordo_received_bytes_total', 'Frame bytes received from clients.', undefined, { '': () => c.bytesIn });
    this.counter('ordo_sent_bytes_total', 'Frame bytes sent to clients.', undefined, { '': () => c.bytesOut });
  }

  private queueMetrics(): void {
    const q = this.source.queueCounters;
    this.counter('ordo_deliveries_total', 'Deliveries handed out by queues (subscription queues included), redeliveries and auto-acked ones included.', undefined, { '': () => q.deliveries });
    this.counter('ordo_redeliveries_total', 'Deliveries of a message delivered before (after a nack, an ack deadline or a lost consumer).', undefined, { '': () => q.redeliveries });
    this.counter('ordo_acks_total', 'Deliveries settled by their consumer (ACK, COMPLETE, ACKPUBLISH).', undefined, { '': () => q.acks });
    this.counter('ordo_nacks_total', 'Deliveries given back by NACK, requeued or dead-lettered.', undefined, { '': () => q.nacks });
    this.counter('ordo_dead_letters_total', 'Messages that left a queue as dead letters (past maxDeliveries, nacked without requeue), moved to its dead-letter queue or discarded when it has none.', undefined, { '': () => q.deadLetters });
    this.gauge('ordo_queues', 'Queues, subscription and dead-letter queues included.', () => this.source.queueCount());
  }

  private storeMetrics(): void {
    const store = (): StoreStats & { failures: number } => this.source.storeStats();
    this.counter('ordo_store_transactions_total', 'Store transactions committed (each carries the batches of one event-loop turn).', undefined, { '': () => store().commits });
    this.counter('ordo_store_fsyncs_total', 'Of those, the fsynced ones.', undefined, { '': () => store().fsyncs });
    this.counter('ordo_store_batches_total', 'Batches committed (a publish, a send, acks, delivery counts …).', undefined, { '': () => store().batches });
    this.counter('ordo_store_messages_total', 'Messages written to the store.', undefined, { '': () => store().messages });
    this.counter('ordo_store_commit_failures_total', 'Batches whose commit failed.', undefined, { '': () => store().failures });
  }

  private brokerMetrics(): void {
    const s = this.source;
    this.gauge('ordo_connections', 'Open connections, those still in the handshake included.', () => s.connectionCount());
    this.gauge('ordo_subscriptions', 'Subscriptions and consumers of every connection.', () => s.subscriptionCount());
    this.gauge('ordo_memory_alarm', '1 while the memory high watermark is passed: publishes and sends are refused.', () => Number(s.isMemoryAlarmed));
    this.gauge('ordo_disk_alarm', '1 while free disk space is below limits.diskFreeLimitBytes: stored publishes and sends are refused.', () => Number(s.isDiskAlarmed));
    this.gauge('ordo_uptime_seconds', 'Seconds since the broker started.', () => s.uptimeMs() / 1000);
    this.counter('ordo_handler_errors_total', 'Operations whose handler failed (answered ERR_INTERNAL; each one logged).', undefined, { '': () => s.counters.handlerErrors });
  }

  /** A counter read at scrape time: unlabelled (label undefined, one read under ''), or one series per label value. */
  private counter(name: string, help: string, label: string | undefined, reads: Record<string, Read>): void {
    new Counter({
      name, help, labelNames: label === undefined ? [] : [label], registers: [this.registry],
      collect() {
        this.reset();
        for (const [value, read] of Object.entries(reads)) {
          const n = Math.round(read());
          if (label === undefined) this.inc(n);
          else this.inc({ [label]: value }, n);
        }
      },
    });
  }

  private gauge(name: string, help: string, read: Read): void {
    new Gauge({ name, help, registers: [this.registry], collect() { this.set(read()); } });
  }

}

/** The gauges with one series per queue (label `queue`; as many as limits.maxQueues allows: see MetricsSource.queueInfos). */
const PER_QUEUE: readonly (readonly [name: string, help: string, read: (info: QueueInfo) => number])[] = [
  ['ordo_queue_messages_ready', 'Messages ready for delivery, per queue.', (i) => i.ready],
  ['ordo_queue_messages_unacked', 'Messages delivered and not yet settled, per queue.', (i) => i.unacked],
  ['ordo_queue_messages_delayed', 'Messages waiting for their delay, per queue.', (i) => i.delayed],
  ['ordo_queue_consumers', 'Consumers attached, per queue.', (i) => i.consumers],
];

/**
 * The per-queue gauges in the text exposition format, written here rather
 * than through prom-client's labelled gauges, which cost most of a scrape
 * with thousands of queues (setting, then formatting and escaping, each
 * series one by one): `npm run bench -- --only operations` measures it.
 */
function perQueueText(queues: readonly QueueInfo[]): string {
  const labels = queues.map((q) => `{queue="${escapeLabelValue(q.name)}"}`);
  let text = '';
  for (const [name, help, read] of PER_QUEUE) {
    text += `# HELP ${name} ${help}\n# TYPE ${name} gauge\n`;
    for (let i = 0; i < queues.length; i++) text += `${name}${labels[i]} ${read(queues[i])}\n`;
  }
  return text;
}

/** A label value as the text format writes it: backslash, double quote and line feed escaped. */
function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

/**
 * `ordo_store_transaction_batches`, batches per store transaction (the group
 * commit at work), in the text exposition format. Written here rather than
 * through a prom-client Histogram, which can only count observations one by
 * one: CommitSizes holds ready bucket counts (see there).
 */
export function commitSizesText(sizes: Readonly<CommitSizes>): string {
  const name = 'ordo_store_transaction_batches';
  const lines = [
    `# HELP ${name} Batches that shared one store transaction (and its fsync): the group commit.`,
    `# TYPE ${name} histogram`,
  ];
  let cumulative = 0;
  COMMIT_BATCH_BUCKETS.forEach((le, i) => {
    cumulative += sizes.buckets[i];
    lines.push(`${name}_bucket{le="${le}"} ${Math.round(cumulative)}`);
  });
  const count = Math.round(sizes.count);
  lines.push(`${name}_bucket{le="+Inf"} ${count}`, `${name}_sum ${Math.round(sizes.sum)}`, `${name}_count ${count}`);
  return `${lines.join('\n')}\n`;
}

let processMetrics: Registry | undefined;

/** The process's registry (made, and its default collectors started, on first use). */
function processRegistry(): Registry {
  if (processMetrics === undefined) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}
