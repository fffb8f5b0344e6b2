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
import { progressBar } from '../cli/progress.js';
import { USAGE, UsageError, parseBenchArgs } from './args.js';
import { formatContext, formatReport } from './report.js';
import type { BenchResult } from './result.js';
import { runTarget } from './run-target.js';
import { createTargets, runningOrdoTarget, type BenchTarget } from './targets/index.js';
import { DEFAULT_WORKLOADS, QOS_LEVELS, type Qos, type WorkloadSpec } from './workloads/spec.js';
import { benchTrie, formatTrieBench } from './trie-bench.js';
import { benchStore, formatStoreBench } from './store-bench.js';
import { benchOrdering } from './ordering/index.js';
import { benchSecurity } from './security/index.js';
import { benchOperations } from './operations/index.js';
import {
  BROKER_SECTIONS, formatOperations, formatOrdering, formatSecurity, isOperationsSectionSelected, isOrderingSectionSelected, isSecuritySectionSelected, orderingOverrides, workloadOverrides,
} from './sections.js';

export type { BenchResult } from './result.js';
export { UsageError } from './args.js';
export {
  OPERATIONS_WORKLOAD, ORDERING_WORKLOAD, SECURITY_WORKLOAD, isOperationsSectionSelected, isOrderingSectionSelected, isSecuritySectionSelected,
} from './sections.js';

/** Options of {@link runBench}. */
export interface BenchOptions {
  /** Also run the peers. Default: true when any peer is installed. Ignored when `only` is given. */
  peers?: boolean;
  /** Messages per publisher (throughput) or samples (latency), for every workload. Default: per workload. */
  messages?: number;
  /**
   * Run only these targets, by name (`ordo`, `nats`, `mosquitto`,
   * `rabbitmq`, `redis`); `ordering` names Ordo's ordering section (alone:
   * only that section), `security` its security section and `operations`
   * its operations section (each run only when named, here or in
   * `workloads`).
   */
  only?: readonly string[];
  /**
   * Run only these workloads, by id (`throughput-1-1`, `throughput-1-10`,
   * `latency`, `alo-windowed`, `alo-one-at-a-time`, `alo-window-100`,
   * `eo-windowed`, `trie`, `store`, `ordering`, `security`, `operations`), each with its baseline
   * (`eo-windowed` brings `alo-window-100`).
   */
  workloads?: readonly string[];
  /**
   * Run only the workloads of this guarantee, with their baselines (and
   * neither `trie` nor `store`, unless named in `workloads`; the ordering
   * section, when selected, runs only this guarantee's rows).
   */
  qos?: Qos;
  /** Bound on each workload run, ms. Default per workload (20000, 30000 for at-least-once windowed). */
  timeoutMs?: number;
  /** Cap on each measured burst of a throughput or at-least-once workload, ms. Default per workload. */
  burstMs?: number;
  /** Print JSON instead of the table. */
  json?: boolean;
  /**
   * Drive the Ordo broker running at this URL instead of starting one (its
   * console and /metrics show the traffic): Ordo's pub/sub and queue
   * workloads only, no peers, no server CPU column.
   */
  url?: string;
  /** Print nothing to stdout (the caller formats the results). */
  quiet?: boolean;
  /** Progress lines. Default: to stderr. */
  log?: (line: string) => void;
}

/** The in-process topic-matching workload (no target, no network). */
const TRIE_WORKLOAD = 'trie';
/** The storage workload: the SQLite store alone, in this process (no network). */
const STORE_WORKLOAD = 'store';

/** Runs every selected workload on every selected target, prints the report, and returns the rows. */
export async function runBench(options: BenchOptions = {}): Promise<BenchResult[]> {
  const specs = selectWorkloads(options);
  const targets = await selectTargets(options);
  const isOrdoSelected = options.only === undefined || options.only.includes('ordo');
  // The in-process sections and the ordering section (brokers of its own) put no traffic on a --url broker: left out.
  const isRunningBroker = options.url !== undefined;
  const isInProcessSelected = (id: string): boolean => !isRunningBroker && (options.workloads?.includes(id) ?? (isOrdoSelected && options.qos === undefined));
  const isTrieSelected = isInProcessSelected(TRIE_WORKLOAD);
  const isStoreSelected = isInProcessSelected(STORE_WORKLOAD);
  const isOrderingSelected = !isRunningBroker && isOrderingSectionSelected(options);
  const isSecuritySelected = isSecuritySectionSelected(options);
  const isOperationsSelected = isOperationsSectionSelected(options);
  // One step per target and per section; on a terminal a bar under the progress lines counts them.
  const steps = targets.length + [isTrieSelected, isStoreSelected, isOrderingSelected, isSecuritySelected, isOperationsSelected].filter(Boolean).length;
  const bar = options.log === undefined ? progressBar('bench', steps) : undefined;
  const log = options.log ?? ((line: string) => bar?.log(line));
  let done = 0;
  const stepDone = (): void => bar?.update(++done);
  const context = formatContext({ node: process.version, cpus: cpus().length, loadAverage: loadavg()[0] });
  const results: BenchResult[] = [];
  for (const target of targets) {
    results.push(...(await runTarget(target, specs, log)));
    stepDone();
  }
  if (isTrieSelected) log('topic trie: matching with 100k subscriptions');
  const trie = isTrieSelected ? benchTrie() : undefined;
  if (isTrieSelected) stepDone();
  if (isStoreSelected) log('store: group commit under fsync durability');
  const store = isStoreSelected ? await benchStore() : undefined;
  if (isStoreSelected) stepDone();
  const ordering = isOrderingSelected ? await benchOrdering({ ...orderingOverrides(options), log }) : undefined;
  if (isOrderingSelected) stepDone();
  const security = isSecuritySelected ? await benchSecurity({ ...(options.qos === undefined ? {} : { qos: options.qos }), workload: workloadOverrides(options), log }) : undefined;
  if (isSecuritySelected) stepDone();
  const operations = isOperationsSelected ? await benchOperations({ workload: workloadOverrides(options), log }) : undefined;
  if (isOperationsSelected) stepDone();
  bar?.finish();
  if (options.quiet !== true) {
    const sections = { ...(trie !== undefined && { trie }), ...(store !== undefined && { store }), ...(ordering !== undefined && { ordering }), ...(security !== undefined && { security }), ...(operations !== undefined && { operations }) };
    process.stdout.write(options.json === true
      ? `${JSON.stringify({ results, ...sections }, null, 2)}\n`
      : `${context}\n\n${results.length > 0 ? `${formatReport(results)}\n\n` : ''}${formatOrdering(ordering)}${formatSecurity(security)}${formatOperations(operations)}${trie === undefined ? '' : `${formatTrieBench(trie)}\n`}${store === undefined ? '' : `\n${formatStoreBench(store)}\n`}`);
  }
  return results;
}

/** `--url` drives one running Ordo broker: peers and the sections that start brokers of their own do not fit with it. */
function checkRunningBench(options: BenchOptions, url: string): string {
  if (!/^wss?:\/\/./.test(url)) throw new UsageError(`--url must be a ws:// or wss:// URL, got ${url}`);
  const others = [...(options.only ?? []), ...(options.workloads ?? [])].filter((n) => n !== 'ordo' && (BROKER_SECTIONS.includes(n) || PEER_NAMES.includes(n)));
  if (others.length > 0) throw new UsageError(`--url runs Ordo's workloads on a running broker: leave out ${others.join(', ')} (they start brokers of their own)`);
  return url;
}

const PEER_NAMES = ['nats', 'mosquitto', 'rabbitmq', 'redis'];

/** The workloads `options` select, in {@link DEFAULT_WORKLOADS} order, with their baselines and overrides applied. */
export function selectWorkloads(options: BenchOptions): WorkloadSpec[] {
  const ids = options.workloads;
  const isSection = (id: string): boolean => id === TRIE_WORKLOAD || id === STORE_WORKLOAD || BROKER_SECTIONS.includes(id);
  const unknown = ids?.filter((id) => !isSection(id) && !DEFAULT_WORKLOADS.some((spec) => spec.id === id)) ?? [];
  if (unknown.length > 0) throw new UsageError(`unknown workload ${unknown.join(', ')}`);
  if (options.qos !== undefined && !QOS_LEVELS.includes(options.qos)) throw new UsageError(`unknown guarantee ${options.qos}`);
  const isChosen = (spec: WorkloadSpec): boolean =>
    (ids === undefined || ids.includes(spec.id)) && (options.qos === undefined || spec.qos === options.qos);
  // A chosen workload brings its baseline along: the report prints one against the other.
  const baselines = new Set(DEFAULT_WORKLOADS.filter(isChosen).map((spec) => spec.baseline));
  const isSelected = (spec: WorkloadSpec): boolean => isChosen(spec) || baselines.has(spec.id);
  return DEFAULT_WORKLOADS.filter(isSelected).map((spec) => ({ ...spec, ...workloadOverrides(options) }));
}

async function selectTargets(options: BenchOptions): Promise<BenchTarget[]> {
  if (options.url !== undefined) return [runningOrdoTarget(checkRunningBench(options, options.url))];
  const all = createTargets();
  if (options.only !== undefined) {
    const unknown = options.only.filter((name) => !BROKER_SECTIONS.includes(name) && !all.some((t) => t.name === name));
    if (unknown.length > 0) throw new UsageError(`unknown target ${unknown.join(', ')}`);
    return all.filter((t) => options.only?.includes(t.name));
  }
  const peers = all.filter((t) => t.isPeer);
  const withPeers = options.peers ?? (await Promise.all(peers.map((t) => t.isAvailable()))).some((a) => a === true);
  return withPeers ? all : all.filter((t) => !t.isPeer);
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
