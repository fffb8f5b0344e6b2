import { describe, expect, it } from 'vitest';
import { CommitSizes } from '../../broker/observability/counters.js';
import { commitSizesText } from '../../broker/observability/metrics.js';
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
