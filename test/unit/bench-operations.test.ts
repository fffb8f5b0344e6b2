import { describe, expect, it } from 'vitest';
import { parseBenchArgs } from '../../bench/args.js';
import { isOperationsSectionSelected, isOrderingSectionSelected, isSecuritySectionSelected, runBench, selectWorkloads } from '../../bench/main.js';
import { CHURN_MEASURE, THROUGHPUT_MEASURE, describeScrapes, inTurns, mergeRounds, type HotPathRow } from '../../bench/operations/hot-path.js';
import { DEFAULT_OPERATIONS_PLAN, formatOperationsReport, operationsWorkload } from '../../bench/operations/index.js';
import { READS, type ReadRow } from '../../bench/operations/reads.js';
import { formatHotPath, formatReads, hotPathRatios } from '../../bench/operations/report.js';
import { metricsUrl } from '../../bench/operations/scrape.js';
import { DEFAULT_WORKLOADS } from '../../bench/workloads/spec.js';

describe('the operations section flags', () => {
  it.each([
    [['--only', 'operations'], true],
    [['--workloads', 'operations'], true],
    [['--only', 'ordo,operations,security'], true],
    [['--only', 'operations', '--workloads', 'latency'], false],
    [[], false],
    [['--only', 'ordo'], false],
    [['--only', 'security'], false],
  ])('runs only when named, in --only or --workloads: %j → %s', (argv, isSelected) => {
    expect(isOperationsSectionSelected(parseBenchArgs(argv))).toBe(isSelected);
  });

  it('alone, selects no target workload and no other section', () => {
    const options = parseBenchArgs(['--only', 'operations']);
    expect(isOrderingSectionSelected(options)).toBe(false);
    expect(isSecuritySectionSelected(options)).toBe(false);
    expect(selectWorkloads({ workloads: ['operations'] })).toEqual([]);
    expect(() => selectWorkloads({ workloads: ['operation'] })).toThrow(/unknown workload operation/);
  });

  it('does not go with --url, which drives a broker it did not start', async () => {
    await expect(runBench({ url: 'ws://127.0.0.1:1', only: ['operations'], quiet: true, log: () => undefined })).rejects.toThrow(/leave out operations/);
  });

  it('measures the main table\'s 1→1 at-most-once workload, with the flags\' overrides', () => {
    expect(operationsWorkload()).toEqual(DEFAULT_WORKLOADS.find((s) => s.id === 'throughput-1-1'));
    const spec = operationsWorkload({ messages: 1000, maxBurstMs: 500 });
    expect([spec.qos, spec.publishers, spec.subscribers, spec.messages, spec.maxBurstMs]).toEqual(['at-most-once', 1, 1, 1000, 500]);
  });

  it('loads 1,000 queues and 200 connections by default, and scrapes every 100 ms', () => {
    expect(DEFAULT_OPERATIONS_PLAN).toMatchObject({ queues: 1_000, connections: 200, samples: 50, scrapeIntervalMs: 100 });
  });
});

describe('the operations section helpers', () => {
  it('scrapes /metrics on the port the broker listens on', () => {
    expect(metricsUrl('ws://127.0.0.1:7700')).toBe('http://127.0.0.1:7700/metrics');
    expect(metricsUrl('wss://broker.internal:443/')).toBe('https://broker.internal/metrics');
  });

  it('runs the sides of a pair in turns, round after round', async () => {
    const order: string[] = [];
    const side = (name: string) => async (): Promise<string> => {
      order.push(name);
      return `${name}${order.length}`;
    };
    expect(await inTurns(2, [side('a'), side('b')])).toEqual([['a1', 'a3'], ['b2', 'b4']]);
    expect(order).toEqual(['a', 'b', 'a', 'b']);
  });

  it('merges the rounds of a side: the median of every rate, the mean CPU time, the first error', () => {
    expect(mergeRounds([{ rates: [100, 300] }, { rates: [200], serverCpuUs: 4 }, { rates: [], serverCpuUs: 2, error: 'boom' }])).toEqual({
      rates: [100, 300, 200], rate: 200, serverCpuUs: 3, error: 'boom',
    });
    expect(mergeRounds([{ rates: [] }])).toEqual({ rates: [] });
  });

  it('describes the side loop\'s scrapes, and its failures', () => {
    expect(describeScrapes([{ latenciesMs: [10, 30], failures: 0 }, { latenciesMs: [20], failures: 0 }])).toBe('3 scrapes, p50 20.0 ms, p99 30.0 ms');
    expect(describeScrapes([{ latenciesMs: [], failures: 2, firstError: 'GET /metrics answered 404' }])).toBe('0 scrapes; 2 failed (GET /metrics answered 404)');
  });
});

const hotRow = (measure: HotPathRow['measure'], variant: string, rate: number | undefined, serverCpuUs: number): HotPathRow => ({
  measure, variant, rates: rate === undefined ? [] : [rate * 0.9, rate, rate * 1.1], serverCpuUs,
  ...(rate === undefined ? { error: 'start failed: boom' } : { rate }),
  ...(measure === THROUGHPUT_MEASURE ? { delivery: { expected: 10, delivered: 10, lost: 0, duplicated: 0, reordered: 0, unexpected: 0 } } : {}),
});

describe('the operations section report', () => {
  const reads: ReadRow[] = [
    { read: 'GET /metrics', samples: 50, p50Ms: 49.7, p99Ms: 83.2, bytes: 402_785, serverCpuMs: 50, clientCpuMs: 10.6 },
    { read: 'stats()', samples: 50, p50Ms: 22.6, p99Ms: 56.4, bytes: 396_647, serverCpuMs: 17.2, clientCpuMs: 8.83 },
    { read: 'admin.topics()', samples: 0, error: 'ERR_INTERNAL: boom' },
  ];

  it('prints one row a read, with its latency, size and CPU time per call', () => {
    const table = formatReads(reads, DEFAULT_OPERATIONS_PLAN);
    expect(table).toContain('50 of each after 5 to warm up');
    expect(table).toMatch(/GET \/metrics\s+50\s+49\.7\s+83\.2\s+402,785\s+50\.0\s+10\.6/);
    expect(table).toMatch(/stats\(\)\s+50\s+22\.6\s+56\.4\s+396,647\s+17\.2\s+8\.83/);
    expect(table).toMatch(/admin\.topics\(\)\s+0\s+–\s+–\s+–\s+–\s+–\s+failed: ERR_INTERNAL: boom/);
    expect(READS).toEqual(['GET /metrics', 'stats()', 'admin.connections()', 'admin.topics()', 'admin.subscriptions()']);
  });

  it('prints a ratio line per pair: scraped ÷ not scraped, log info ÷ log silent', () => {
    const rows = [
      hotRow(THROUGHPUT_MEASURE, 'not scraped', 300_000, 3), hotRow(THROUGHPUT_MEASURE, 'scraped every 100 ms', 180_000, 5.4),
      hotRow(CHURN_MEASURE, 'log info', 450, 1320), hotRow(CHURN_MEASURE, 'log silent', 500, 1200),
    ];
    expect(hotPathRatios(rows)).toEqual([
      '1→1 throughput: scraped every 100 ms ÷ not scraped = 0.60× (300,000 → 180,000 msg/s; srv CPU/op 1.80×)',
      'connection churn: log info ÷ log silent = 0.90× (500 → 450 conn/s; srv CPU/op 1.10×)',
    ]);
    const table = formatHotPath(rows, operationsWorkload(), DEFAULT_OPERATIONS_PLAN);
    expect(table).toMatch(/1→1 throughput \(msg\/s\)\s+scraped every 100 ms\s+180,000\s+162,000–198,000\s+5\.40\s+0\s+0\s+0/);
    expect(table).toMatch(/connection churn \(conn\/s\)\s+log info\s+450\s+405–495\s+1320\s+–\s+–\s+–/);
    expect(table).toContain('1,000 per round');
  });

  it('says so when a side of a pair failed or is missing', () => {
    const rows = [hotRow(THROUGHPUT_MEASURE, 'not scraped', 300_000, 3), hotRow(THROUGHPUT_MEASURE, 'scraped every 100 ms', undefined, 5), hotRow(CHURN_MEASURE, 'log info', 450, 1320)];
    expect(hotPathRatios(rows)).toEqual(['1→1 throughput: scraped every 100 ms ÷ not scraped = – (a row is missing or failed)']);
    expect(formatHotPath(rows, operationsWorkload(), DEFAULT_OPERATIONS_PLAN)).toMatch(/scraped every 100 ms\s+–\s+–.*failed: start failed: boom/);
  });

  it('titles the section with the load, and leaves out a table with no rows', () => {
    const report = formatOperationsReport({ plan: DEFAULT_OPERATIONS_PLAN, workload: operationsWorkload(), reads, hotPath: [], loadMs: 2_345 });
    expect(report).toContain('1,000 queues (3 stored messages each');
    expect(report).toContain('200 open connections');
    expect(report).toContain('loaded in 2.3 s');
    expect(report).toContain('GET /metrics');
    expect(report).not.toContain('Hot path');
  });
});
