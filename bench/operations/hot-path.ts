/**
 * What observability costs the hot path, each pair measured in turns
 * (`rounds` times the one, then the other), so a drift in the machine's
 * load falls on both sides alike:
 * - 1→1 at-most-once throughput, the main table's workload (workloads/
 *   throughput.ts, run as the security section runs it on a configured
 *   broker), with `/metrics` scraped every `scrapeIntervalMs` by a side loop
 *   (scrape.ts), and without;
 * - connection churn, the security section's login run with one lane
 *   (security/logins.ts: connect, HELLO → WELCOME, close, the next), on a
 *   broker logging at `info` (a connection_open and a connection_close line
 *   per connection, JSON on a pipe this process reads) and on one at `silent`.
 */
import type { DeliveryTotals } from '../result.js';
import { DEFAULT_LOGIN_PLAN, runLogins, type LoginPlan, type LoginRow } from '../security/logins.js';
import { runSecurityWorkload, type SecurityBroker, type SecurityThroughputRow } from '../security/throughput.js';
import { describeError } from '../timing.js';
import { sumDeliveryCounts } from '../verify.js';
import { percentile } from '../workloads/latency.js';
import { median } from '../workloads/measures.js';
import type { WorkloadSpec } from '../workloads/spec.js';
import { metricsUrl, startScrapeLoop, type ScrapeLoopResult } from './scrape.js';

/** The two measures. */
export const THROUGHPUT_MEASURE = '1→1 throughput';
export const CHURN_MEASURE = 'connection churn';

/** One row of the hot-path table: one side of a pair, its rounds merged. */
export interface HotPathRow {
  readonly measure: typeof THROUGHPUT_MEASURE | typeof CHURN_MEASURE;
  /** `not scraped`, `scraped every 100 ms`; `log info`, `log silent`. */
  readonly variant: string;
  /** Per second: messages delivered (throughput), connections opened and closed (churn); the median of `rates`. */
  readonly rate?: number;
  /** Every measured burst of every round (throughput), every round (churn). */
  readonly rates: readonly number[];
  /** The broker's CPU time per message or per connection, µs, the mean of the rounds. */
  readonly serverCpuUs?: number;
  /** Throughput: what the deliveries' checks found, summed over the rounds. */
  readonly delivery?: DeliveryTotals;
  /** What else to know: the side loop's scrapes, the connect latency. */
  readonly detail?: string;
  readonly error?: string;
}

/** How the pairs run. */
export interface HotPathPlan {
  readonly rounds: number;
  readonly scrapeIntervalMs: number;
  /** Connections opened and closed per round and log level. */
  readonly churnPerRound: number;
}

/** Throughput on `broker` without scraping, then scraped, `plan.rounds` times; never throws. */
export async function runThroughputPair(broker: SecurityBroker, spec: WorkloadSpec, plan: HotPathPlan, log: (line: string) => void): Promise<HotPathRow[]> {
  const scraped = `scraped every ${plan.scrapeIntervalMs} ms`;
  const scrapes: ScrapeLoopResult[] = [];
  const [quiet, busy] = await inTurns(plan.rounds, [
    () => {
      log(`operations: ${spec.label}, not scraped`);
      return runSecurityWorkload(broker, spec);
    },
    async () => {
      log(`operations: ${spec.label}, ${scraped}`);
      // No broker: the workload's row says why, and there is nothing to scrape.
      if (broker.target === undefined || broker.error !== undefined) return runSecurityWorkload(broker, spec);
      const loop = startScrapeLoop(metricsUrl(broker.target.listeningUrl), plan.scrapeIntervalMs);
      try {
        return await runSecurityWorkload(broker, spec);
      } finally {
        scrapes.push(await loop.stop().catch((err: unknown) => ({ latenciesMs: [], failures: 1, firstError: describeError(err) })));
      }
    },
  ]);
  return [throughputRow('not scraped', quiet), { ...throughputRow(scraped, busy), detail: describeScrapes(scrapes) }];
}

/** Churn on the `info` broker, then on the `silent` one, `plan.rounds` times; never throws. */
export async function runChurnPair(info: SecurityBroker, silent: SecurityBroker, plan: HotPathPlan, log: (line: string) => void): Promise<HotPathRow[]> {
  const loginPlan: LoginPlan = { ...DEFAULT_LOGIN_PLAN, clients: 1, warmupPerClient: 20, logins: { ...DEFAULT_LOGIN_PLAN.logins, none: plan.churnPerRound } };
  const churn = (broker: SecurityBroker, variant: string) => (): Promise<LoginRow> => {
    log(`operations: ${CHURN_MEASURE}, ${variant}`);
    if (broker.target === undefined || broker.error !== undefined) return Promise.resolve({ transport: 'ws', login: 'none', logins: 0, error: broker.error ?? 'no broker' });
    return runLogins(broker.target, 'none', {}, loginPlan);
  };
  const [atInfo, atSilent] = await inTurns(plan.rounds, [churn(info, 'log info'), churn(silent, 'log silent')]);
  return [churnRow('log info', atInfo), churnRow('log silent', atSilent)];
}

/** Runs `rounds` rounds of every one of `sides` in turn; each side's results, in round order. */
export async function inTurns<T>(rounds: number, sides: ReadonlyArray<() => Promise<T>>): Promise<T[][]> {
  const results = sides.map((): T[] => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, side] of sides.entries()) results[i].push(await side());
  }
  return results;
}

function throughputRow(variant: string, rounds: readonly SecurityThroughputRow[]): HotPathRow {
  const totals = rounds.flatMap((r) => (r.delivery === undefined ? [] : [r.delivery]));
  const delivery = totals.length === 0 ? undefined : sumDeliveryCounts(totals.map((d) => ({ ...d, distinct: d.delivered, received: d.delivered })));
  const merged = mergeRounds(rounds.map((r) => ({ rates: r.runRates ?? [], serverCpuUs: r.serverCpuUs, error: r.error })));
  return { measure: THROUGHPUT_MEASURE, variant, ...merged, ...(delivery === undefined ? {} : { delivery }) };
}

function churnRow(variant: string, rounds: readonly LoginRow[]): HotPathRow {
  const merged = mergeRounds(rounds.map((r) => ({ rates: r.rate === undefined ? [] : [r.rate], serverCpuUs: r.serverCpuMs === undefined ? undefined : r.serverCpuMs * 1000, error: r.error })));
  const p50s = rounds.flatMap((r) => (r.p50Ms === undefined ? [] : [r.p50Ms]));
  const done = rounds.reduce((sum, r) => sum + r.logins, 0);
  const detail = `${done} connections, connect p50 ${p50s.length === 0 ? '–' : median(p50s).toFixed(2)} ms`;
  return { measure: CHURN_MEASURE, variant, ...merged, detail };
}

/** One side's rounds as one row: the median of every rate, the mean CPU time, the first error. */
export function mergeRounds(rounds: ReadonlyArray<{ rates: readonly number[]; serverCpuUs?: number | undefined; error?: string | undefined }>): Pick<HotPathRow, 'rate' | 'rates' | 'serverCpuUs' | 'error'> {
  const rates = rounds.flatMap((r) => r.rates);
  const cpus = rounds.flatMap((r) => (r.serverCpuUs === undefined ? [] : [r.serverCpuUs]));
  const error = rounds.find((r) => r.error !== undefined)?.error;
  return {
    rates,
    ...(rates.length === 0 ? {} : { rate: median(rates) }),
    ...(cpus.length === 0 ? {} : { serverCpuUs: cpus.reduce((a, b) => a + b, 0) / cpus.length }),
    ...(error === undefined ? {} : { error }),
  };
}

/** `212 scrapes, p50 14.2 ms, p99 41.0 ms` (and the failures, if any). */
export function describeScrapes(loops: readonly ScrapeLoopResult[]): string {
  const sorted = Float64Array.from(loops.flatMap((l) => l.latenciesMs)).sort();
  const failures = loops.reduce((sum, l) => sum + l.failures, 0);
  const firstError = loops.find((l) => l.firstError !== undefined)?.firstError;
  const latency = sorted.length === 0 ? '' : `, p50 ${percentile(sorted, 0.5).toFixed(1)} ms, p99 ${percentile(sorted, 0.99).toFixed(1)} ms`;
  return `${sorted.length} scrapes${latency}${failures === 0 ? '' : `; ${failures} failed (${firstError ?? '?'})`}`;
}
