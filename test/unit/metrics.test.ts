import { describe, expect, it } from 'vitest';
import { CommitSizes } from '../../broker/observability/counters.js';
import { BrokerMetrics, commitSizesText, type MetricsSource } from '../../broker/observability/metrics.js';
import { QueueCounters } from '../../broker/observability/counters.js';
import type { QueueInfo } from '../../broker/protocol/index.js';
import { Persister } from '../../broker/durable/persister.js';
import type { Store } from '../../broker/store/index.js';
import { parsePrometheus } from '../helpers/prometheus.js';

describe('CommitSizes', () => {
  it('makes one observation per transaction from the reports of its batches', () => {
    const sizes = new CommitSizes();
    // A transaction of 3 batches reports 3 times; then one alone; then one of 5 whose last batch is not in yet.
    for (let i = 0; i < 3; i++) sizes.record(3);
    sizes.record(1);
    for (let i = 0; i < 4; i++) sizes.record(5);
    const metrics = parsePrometheus(commitSizesText(sizes));
    expect(metrics.types.get('ordo_store_transaction_batches')).toBe('histogram');
    const bucket = (le: string): number | undefined => metrics.value('ordo_store_transaction_batches_bucket', { le });
    expect([bucket('1'), bucket('2'), bucket('4'), bucket('8'), bucket('1024'), bucket('+Inf')]).toEqual([1, 1, 2, 3, 3, 3]);
    expect(metrics.value('ordo_store_transaction_batches_count')).toBe(3);
    expect(metrics.value('ordo_store_transaction_batches_sum')).toBe(3 + 1 + 4);
  });

  it('puts transactions of more than 1024 batches in +Inf only', () => {
    const sizes = new CommitSizes();
    for (let i = 0; i < 2000; i++) sizes.record(2000);
    const metrics = parsePrometheus(commitSizesText(sizes));
    expect(metrics.value('ordo_store_transaction_batches_bucket', { le: '1024' })).toBe(0);
    expect(metrics.value('ordo_store_transaction_batches_bucket', { le: '+Inf' })).toBe(1);
  });
});

describe('parsePrometheus (the test helper)', () => {
  it('refuses what is not the text format', () => {
    expect(() => parsePrometheus('# TYPE a counter\na 1\nb 2\n')).toThrow(/sample b before its family's TYPE/);
    expect(() => parsePrometheus('# TYPE a counter\na{x=1} 1\n')).toThrow(/bad labels/);
    expect(() => parsePrometheus('# TYPE a counter\na one\n')).toThrow(/not a sample/);
  });
});

describe('Persister counts for /metrics', () => {
  it('records each batch\'s share of its transaction, and counts and reports each failed batch', async () => {
    let fail = false;
    const store = {
      durability: 'fsync',
      commit: () => (fail ? Promise.reject(new Error('disk I/O error')) : Promise.resolve({ ops: 2, batches: 2, synced: true })),
    } as unknown as Store;
    const persister = new Persister(store);
    const reported: unknown[] = [];
    persister.onFailure = (err) => reported.push(err);
    await persister.commit([{ op: 'deleteQueue', name: 'a' }]);
    await persister.commit([{ op: 'deleteQueue', name: 'b' }]);
    expect(persister.commitSizes.count).toBe(1);
    fail = true;
    await expect(persister.commit([{ op: 'deleteQueue', name: 'c' }])).rejects.toThrow('disk I/O error');
    expect(persister.failures).toBe(1);
    expect(reported).toEqual([expect.objectContaining({ message: 'disk I/O error' })]);
    expect(persister.stats()).toMatchObject({ commits: 1, fsyncs: 1, batches: 2 });
  });
});

describe('BrokerMetrics scrapes', () => {
  /** A source with `names` as its queues, counting how often they are read. */
  function source(names: string[]): MetricsSource & { reads: number } {
    const counters = {
      messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, dropped: 0,
      inAtMostOnce: 0, inAtLeastOnce: 0, inExactlyOnce: 0, outAtMostOnce: 0, handlerErrors: 0,
    };
    return {
      reads: 0,
      counters, queueCounters: new QueueCounters(), commitSizes: new CommitSizes(),
      storeStats: () => ({ commits: 0, fsyncs: 0, batches: 0, messages: 0, failures: 0 }) as never,
      connectionCount: () => 0, subscriptionCount: () => 0, queueCount: () => names.length,
      queueInfos() {
        this.reads++;
        return names.map((name) => ({ name, ready: 1, delayed: 0, unacked: 0, consumers: 0 }) as QueueInfo);
      },
      isMemoryAlarmed: false, isDiskAlarmed: false, uptimeMs: () => 1000,
    };
  }

  it('gives scrapes made at once the same complete answer, read once', async () => {
    const s = source(['a', 'b']);
    const metrics = new BrokerMetrics(s);
    const [first, second] = await Promise.all([metrics.text(), metrics.text()]);
    expect(second).toBe(first);
    expect(s.reads).toBe(1);
    const parsed = parsePrometheus(second);
    expect(parsed.value('ordo_queue_messages_ready', { queue: 'a' })).toBe(1);
    expect(parsed.value('ordo_queue_messages_ready', { queue: 'b' })).toBe(1);
    await metrics.text();
    expect(s.reads).toBe(2); // a later scrape reads afresh
  });

  it('writes NaN as the text format spells it', async () => {
    const metrics = new BrokerMetrics(source([]));
    await metrics.text();
    // Right after another scrape, the event-loop lag has no samples: its mean is NaN.
    const text = await metrics.text();
    expect(text).toMatch(/^nodejs_eventloop_lag_mean_seconds NaN$/m);
    expect(() => parsePrometheus(text)).not.toThrow();
  });
});
