/**
 * The operations section of `npm run bench` (Ordo only, `--only
 * operations`; it runs only when named): what watching a broker costs. Two
 * brokers of this checkout (security-target.ts: `ordo broker --config
 * FILE`, ws://, authentication off, throw-away data folders), one logging
 * at `info` (the default), one at `silent`, are started and loaded alike
 * (load.ts), and run side by side; then, in this order:
 *
 * 1. reads.ts, on the `info` broker: `GET /metrics`, `stats()` and the
 *    admin listings, one after another;
 * 2. hot-path.ts: on the `info` broker, 1→1 throughput with a scraper and
 *    without; connection churn on each broker, in turns.
 *
 * The idle broker beside a measured one costs it little: 200 idle
 * connections, a ping every heartbeat; stored messages in queues that
 * nothing consumes (nothing past retention to delete).
 */
import { OrdoSecurityTarget, startWithin } from '../security/security-target.js';
import type { SecurityBroker } from '../security/throughput.js';
import { OrdoTarget } from '../targets/ordo.js';
import { describeError, withTimeout } from '../timing.js';
import { DEFAULT_WORKLOADS, type WorkloadSpec } from '../workloads/spec.js';
import { runChurnPair, runThroughputPair, type HotPathPlan, type HotPathRow } from './hot-path.js';
import { loadBroker, type LoadedBroker, type LoadPlan } from './load.js';
import { READS, runReads, type ReadPlan, type ReadRow } from './reads.js';

export { formatOperationsReport } from './report.js';
export type { HotPathRow } from './hot-path.js';
export type { ReadRow } from './reads.js';

/** The shape of the whole section. */
export interface OperationsPlan extends LoadPlan, ReadPlan, HotPathPlan {}

export const DEFAULT_OPERATIONS_PLAN: OperationsPlan = {
  queues: 1_000,
  messagesPerQueue: 3,
  connections: 200,
  samples: 50,
  warmup: 5,
  readTimeoutMs: 60_000,
  rounds: 2,
  scrapeIntervalMs: 100,
  churnPerRound: 1_000,
};

/** The log levels of the two brokers: the default, and none. */
export const LOG_LEVELS = ['info', 'silent'] as const;

/** Options of {@link benchOperations}. */
export interface OperationsBenchOptions {
  /** Overrides of the throughput workload (from `--messages`, `--burst-ms`, `--timeout`). */
  workload?: Partial<Pick<WorkloadSpec, 'messages' | 'maxBurstMs' | 'timeoutMs'>>;
  plan?: Partial<OperationsPlan>;
  log: (line: string) => void;
}

/** What {@link benchOperations} measured, and how. */
export interface OperationsBenchResult {
  readonly plan: OperationsPlan;
  /** The throughput workload of the hot-path rows. */
  readonly workload: WorkloadSpec;
  readonly reads: ReadRow[];
  readonly hotPath: HotPathRow[];
  /** How long loading the `info` broker took, ms. */
  readonly loadMs?: number;
  /** Why nothing ran (the broker is not built). */
  readonly skipped?: string;
}

/** Bound on a broker start, ms. */
const START_TIMEOUT_MS = 30_000;
/** Bound on loading one broker, ms. */
const LOAD_TIMEOUT_MS = 180_000;

/** Runs the operations section; never throws (failures are rows). */
export async function benchOperations(options: OperationsBenchOptions): Promise<OperationsBenchResult> {
  const plan = { ...DEFAULT_OPERATIONS_PLAN, ...options.plan };
  const result = { plan, workload: operationsWorkload(options.workload), reads: [] as ReadRow[], hotPath: [] as HotPathRow[] };
  const available = await new OrdoTarget().isAvailable();
  if (available !== true) return { ...result, skipped: available };
  const targets = LOG_LEVELS.map((logLevel) => new OrdoSecurityTarget({ transport: 'ws', auth: 'off', logLevel }));
  const loads: LoadedBroker[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(loads.map((load) => load.close()));
    await Promise.allSettled(targets.map((target) => target.stop()));
  };
  const onSignal = (signal: NodeJS.Signals): void => void stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, onSignal);
  try {
    const [info, silent] = [await startLoaded(targets[0], plan, loads, options.log), await startLoaded(targets[1], plan, loads, options.log)];
    const infoLoad = loads.find((load) => load.target === info.target);
    if (infoLoad === undefined) result.reads.push(...READS.map((read) => ({ read, samples: 0, error: info.error ?? 'no broker' })));
    else {
      options.log(`operations: reads, ${plan.samples} of each`);
      result.reads.push(...(await runReads(infoLoad.target, infoLoad.admin, plan)));
    }
    result.hotPath.push(...(await runThroughputPair(info, result.workload, plan, options.log)));
    result.hotPath.push(...(await runChurnPair(info, silent, plan, options.log)));
    return { ...result, ...(infoLoad === undefined ? {} : { loadMs: infoLoad.loadMs }) };
  } finally {
    await stopAll();
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.removeListener(signal, onSignal);
  }
}

/** The main table's 1→1 at-most-once throughput workload, with the overrides. */
export function operationsWorkload(overrides: OperationsBenchOptions['workload'] = {}): WorkloadSpec {
  const spec = DEFAULT_WORKLOADS.find((s) => s.id === 'throughput-1-1');
  if (spec === undefined) throw new Error('no throughput-1-1 workload');
  return { ...spec, ...overrides };
}

/** Starts `target` and loads it (its load joins `loads`); a failure is the broker's `error`. */
async function startLoaded(target: OrdoSecurityTarget, plan: LoadPlan, loads: LoadedBroker[], log: (line: string) => void): Promise<SecurityBroker> {
  const setup = target.brokerSetup;
  log(`operations: starting the broker (${target.label})`);
  const failed = await startWithin(target, START_TIMEOUT_MS);
  if (failed !== undefined) return { setup, target, error: failed };
  try {
    log(`operations: ${plan.queues} queues, ${plan.connections} connections (${target.label})`);
    loads.push(await withTimeout(loadBroker(target, plan), LOAD_TIMEOUT_MS, `${target.label}: load`));
    return { setup, target };
  } catch (err) {
    return { setup, target, error: `loading failed: ${describeError(err)}` };
  }
}
