/**
 * The benchmark harness: `npm run bench` (this file run directly) and
 * `ordo bench` (which calls {@link runBench}).
 *
 * Fairness: every target runs the same workload code through the same
 * {@link BenchTarget} seam. Each server (Ordo's broker included) runs in its
 * own child process bound to 127.0.0.1, started fresh for its target with
 * throw-away state; all clients of a workload (publishers and subscribers, on
 * separate connections) run in this one bench process, the same way for every
 * target. Every row also verifies what was delivered: lost, duplicated and
 * reordered messages are printed beside the rate.
 */
import { realpathSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { USAGE, UsageError, parseBenchArgs } from './args.js';
import { formatContext, formatReport } from './report.js';
import type { BenchResult, WorkloadOutcome } from './result.js';
import { createTargets, type BenchTarget } from './targets/index.js';
import { describeError, withTimeout } from './timing.js';
import { runLatency } from './workloads/latency.js';
import { DEFAULT_WORKLOADS, type WorkloadSpec } from './workloads/spec.js';
import { runThroughput } from './workloads/throughput.js';
import { benchTrie, formatTrieBench } from './trie-bench.js';
import { benchStore, formatStoreBench } from './store-bench.js';

export type { BenchResult } from './result.js';
export { UsageError } from './args.js';

/** Options of {@link runBench}. */
export interface BenchOptions {
  /** Also run the peers. Default: true when any peer is installed. Ignored when `only` is given. */
  peers?: boolean;
  /** Messages per publisher (throughput) or samples (latency), for every workload. Default: per workload. */
  messages?: number;
  /** Run only these targets, by name (`ordo`, `nats`, `mosquitto`, `rabbitmq`). */
  only?: readonly string[];
  /** Run only these workloads, by id (`throughput-1-1`, `throughput-1-10`, `latency`, `trie`, `store`). */
  workloads?: readonly string[];
  /** Bound on each workload run, ms. Default 20000. */
  timeoutMs?: number;
  /** Print JSON instead of the table. */
  json?: boolean;
  /** Print nothing to stdout (the caller formats the results). */
  quiet?: boolean;
  /** Progress lines. Default: to stderr. */
  log?: (line: string) => void;
}

/** The in-process topic-matching workload (no target, no network). */
const TRIE_WORKLOAD = 'trie';
/** The storage workload: the SQLite store alone, in this process (no network). */
const STORE_WORKLOAD = 'store';

/** Bound on a target's start, on top of the target's own (RabbitMQ takes the longest), ms. */
const START_TIMEOUT_MS = 90_000;
/** Slack on top of a workload's own timeout before the runner gives up on it, ms. */
const RUN_SLACK_MS = 15_000;

/** Runs every selected workload on every selected target, prints the report, and returns the rows. */
export async function runBench(options: BenchOptions = {}): Promise<BenchResult[]> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const specs = selectWorkloads(options);
  const targets = await selectTargets(options);
  const isOrdoSelected = options.only === undefined || options.only.includes('ordo');
  const isTrieSelected = options.workloads?.includes(TRIE_WORKLOAD) ?? isOrdoSelected;
  const isStoreSelected = options.workloads?.includes(STORE_WORKLOAD) ?? isOrdoSelected;
  const context = formatContext({ node: process.version, cpus: cpus().length, loadAverage: loadavg()[0] });
  const results: BenchResult[] = [];
  for (const target of targets) results.push(...(await runTarget(target, specs, log)));
  if (isTrieSelected) log('topic trie: matching with 100k subscriptions');
  const trie = isTrieSelected ? benchTrie() : undefined;
  if (isStoreSelected) log('store: group commit under fsync durability');
  const store = isStoreSelected ? await benchStore() : undefined;
  if (options.quiet !== true) {
    process.stdout.write(options.json === true
      ? `${JSON.stringify({ results, ...(trie !== undefined && { trie }), ...(store !== undefined && { store }) }, null, 2)}\n`
      : `${context}\n\n${results.length > 0 ? `${formatReport(results)}\n\n` : ''}${trie === undefined ? '' : `${formatTrieBench(trie)}\n`}${store === undefined ? '' : `\n${formatStoreBench(store)}\n`}`);
  }
  return results;
}

function selectWorkloads(options: BenchOptions): WorkloadSpec[] {
  const ids = options.workloads;
  const unknown = ids?.filter((id) => id !== TRIE_WORKLOAD && id !== STORE_WORKLOAD && !DEFAULT_WORKLOADS.some((spec) => spec.id === id)) ?? [];
  if (unknown.length > 0) throw new UsageError(`unknown workload ${unknown.join(', ')}`);
  return DEFAULT_WORKLOADS.filter((spec) => ids === undefined || ids.includes(spec.id)).map((spec) => ({
    ...spec,
    ...(options.messages === undefined ? {} : { messages: options.messages }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  }));
}

async function selectTargets(options: BenchOptions): Promise<BenchTarget[]> {
  const all = createTargets();
  if (options.only !== undefined) {
    const unknown = options.only.filter((name) => !all.some((t) => t.name === name));
    if (unknown.length > 0) throw new UsageError(`unknown target ${unknown.join(', ')}`);
    return all.filter((t) => options.only?.includes(t.name));
  }
  const peers = all.filter((t) => t.isPeer);
  const withPeers = options.peers ?? (await Promise.all(peers.map((t) => t.isAvailable()))).some((a) => a === true);
  return withPeers ? all : all.filter((t) => !t.isPeer);
}

/** Starts one target, runs every spec on it, stops it; failures become rows, never exceptions. */
async function runTarget(target: BenchTarget, specs: readonly WorkloadSpec[], log: (line: string) => void): Promise<BenchResult[]> {
  const row = (spec: WorkloadSpec, outcome: WorkloadOutcome | { skipped: string }): BenchResult => ({
    target: target.name,
    workload: spec.label,
    spec,
    ...outcome,
  });
  const available = await target.isAvailable();
  if (available !== true) return specs.map((spec) => row(spec, { skipped: available }));
  const runnable = specs.filter((spec) => target.supports(spec) === true);
  const rows = new Map<WorkloadSpec, BenchResult>();
  for (const spec of specs) {
    const support = target.supports(spec);
    if (support !== true) rows.set(spec, row(spec, { skipped: support }));
  }
  if (runnable.length > 0) {
    // Interrupted: stop this target's server before leaving (exit 128 + signal number).
    const stopOnSignal = (signal: NodeJS.Signals): void =>
      void target.stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    process.once('SIGINT', stopOnSignal);
    process.once('SIGTERM', stopOnSignal);
    try {
      log(`${target.name}: starting`);
      await withTimeout(target.start(), START_TIMEOUT_MS, `${target.name}: start`);
      for (const spec of runnable) {
        log(`${target.name}: ${spec.label}`);
        const run = spec.kind === 'throughput' ? runThroughput : runLatency;
        const outcome = await withTimeout(run(target, spec), spec.timeoutMs + RUN_SLACK_MS, `${target.name}: ${spec.label}`).catch(
          (err: unknown) => ({ error: describeError(err) }),
        );
        rows.set(spec, row(spec, outcome));
      }
    } catch (err) {
      for (const spec of runnable) if (!rows.has(spec)) rows.set(spec, row(spec, { error: `start failed: ${describeError(err)}` }));
    } finally {
      await target.stop().catch((err: unknown) => log(`${target.name}: stop failed: ${describeError(err)}`));
      process.removeListener('SIGINT', stopOnSignal);
      process.removeListener('SIGTERM', stopOnSignal);
    }
  }
  return specs.map((spec) => rows.get(spec) as BenchResult);
}

/** Entry point of `node dist/bench/main.js [flags]`. */
async function main(argv: readonly string[]): Promise<void> {
  try {
    const options = parseBenchArgs(argv);
    if (options.help === true) {
      process.stdout.write(`${USAGE}\n`);
      return;
    }
    await runBench(options);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    process.exitCode = 2;
  }
}

/** Whether this module is the script node was started with (not imported by `ordo bench`). */
function isMainModule(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isMainModule()) await main(process.argv.slice(2));
