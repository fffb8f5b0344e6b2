import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBench } from '../../bench/main.js';
import { UsageError } from '../../bench/args.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

// `ordo bench --url`: the bench's traffic goes through a broker that is already running (the one whose console is open).
describe('bench against a running broker', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(() => broker.cleanup());

  it('moves the running broker\'s counters, verifies every delivery and leaves no queue behind', async () => {
    const before = broker.stats().messagesIn;
    const results = await runBench({ url: broker.url, workloads: ['throughput-1-1', 'alo-window-100'], messages: 2000, quiet: true, log: () => {} });
    const ran = results.filter((r) => r.skipped === undefined);
    expect(ran.map((r) => `${r.spec.id} ${r.setupId ?? ''}`.trim()).sort()).toEqual(['alo-window-100 queue', 'alo-window-100 topic', 'throughput-1-1']);
    for (const r of ran) {
      expect(r.error).toBeUndefined();
      expect(r.delivery?.lost).toBe(0);
      expect(r.delivery?.duplicated).toBe(0);
    }
    expect(broker.stats().messagesIn - before).toBeGreaterThanOrEqual(2 * 2000);
    expect(broker.stats().queues.map((q) => q.name)).toEqual([]);
  }, 120_000);

  it('refuses peers and sections that start brokers of their own', async () => {
    await expect(runBench({ url: broker.url, only: ['nats'], quiet: true, log: () => {} })).rejects.toThrow(UsageError);
    await expect(runBench({ url: broker.url, workloads: ['ordering'], quiet: true, log: () => {} })).rejects.toThrow(/leave out ordering/);
    await expect(runBench({ url: 'http://127.0.0.1:1', quiet: true, log: () => {} })).rejects.toThrow(/ws:\/\/ or wss:\/\//);
  });
});
