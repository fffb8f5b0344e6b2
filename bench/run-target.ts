/**
 * Running every selected workload on one target: one row per workload and
 * setup (a target runs an at-least-once workload once per durability
 * setting it offers), one server start per distinct server configuration,
 * the server always stopped afterwards. Failures become rows, never
 * exceptions.
 */
import type { BenchResult, WorkloadOutcome } from './result.js';
import type { BenchTarget, TargetSetup } from './targets/target.js';
import { describeError, withTimeout } from './timing.js';
import { runConfirmed } from './workloads/confirmed.js';
import { runLatency } from './workloads/latency.js';
import type { WorkloadSpec } from './workloads/spec.js';
import { runThroughput } from './workloads/throughput.js';

/** Bound on a target's start, on top of the target's own (RabbitMQ takes the longest), ms. */
const START_TIMEOUT_MS = 90_000;
/** Slack on top of a workload's own timeout before the runner gives up on it, ms. */
const RUN_SLACK_MS = 15_000;

/** One row to measure: a workload under one of the target's setups. */
interface PlannedRun {
  readonly spec: WorkloadSpec;
  readonly setup: TargetSetup;
  result?: BenchResult;
}

/** Starts `target` once per server setup `specs` need, runs them, stops it; rows in spec order, then setup order. */
export async function runTarget(target: BenchTarget, specs: readonly WorkloadSpec[], log: (line: string) => void): Promise<BenchResult[]> {
  const available = await target.isAvailable();
  if (available !== true) return specs.map((spec) => rowOf(target, spec, undefined, { skipped: available }));
  const planned: PlannedRun[] = [];
  // Every entry has its result once the groups ran: skipped rows from the start, planned runs when run.
  const rows: Array<{ result?: BenchResult }> = [];
  for (const spec of specs) {
    const support = target.supports(spec);
    if (support !== true) {
      rows.push({ result: rowOf(target, spec, undefined, { skipped: support }) });
      continue;
    }
    for (const setup of target.setups(spec)) {
      const run: PlannedRun = { spec, setup };
      planned.push(run);
      rows.push(run);
    }
  }
  for (const group of groupByServer(planned)) await runServerGroup(target, group, log);
  return rows.map((row) => row.result as BenchResult);
}

/** Runs that share a server configuration, in the order their first run was planned. */
function groupByServer(planned: readonly PlannedRun[]): PlannedRun[][] {
  const groups = new Map<string, PlannedRun[]>();
  for (const run of planned) groups.set(run.setup.server, [...(groups.get(run.setup.server) ?? []), run]);
  return [...groups.values()];
}

/** One server start for `group`: skips setups the target cannot run here, runs the others, stops the server. */
async function runServerGroup(target: BenchTarget, group: readonly PlannedRun[], log: (line: string) => void): Promise<void> {
  const runnable: PlannedRun[] = [];
  for (const run of group) {
    const available = await target.isAvailable(run.setup);
    if (available === true) runnable.push(run);
    else run.result = rowOf(target, run.spec, run.setup, { skipped: available });
  }
  if (runnable.length === 0) return;
  const name = `${target.name}${describeSetup(runnable[0].setup)}`;
  // Interrupted: stop this target's server before leaving (exit 128 + signal number).
  const stopOnSignal = (signal: NodeJS.Signals): void => void target.stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    log(`${name}: starting`);
    await withTimeout(target.start(runnable[0].setup), START_TIMEOUT_MS, `${name}: start`);
    for (const run of runnable) {
      const what = `${target.name}${describeSetup(run.setup)}: ${run.spec.label}`;
      log(what);
      const outcome = await withTimeout(runWorkload(target, run), run.spec.timeoutMs + RUN_SLACK_MS, what).catch(
        (err: unknown) => ({ error: describeError(err) }),
      );
      run.result = rowOf(target, run.spec, run.setup, outcome);
    }
  } catch (err) {
    for (const run of runnable) run.result ??= rowOf(target, run.spec, run.setup, { error: `start failed: ${describeError(err)}` });
  } finally {
    await target.stop().catch((err: unknown) => log(`${name}: stop failed: ${describeError(err)}`));
    process.removeListener('SIGINT', stopOnSignal);
    process.removeListener('SIGTERM', stopOnSignal);
  }
}

function runWorkload(target: BenchTarget, run: PlannedRun): Promise<WorkloadOutcome> {
  switch (run.spec.kind) {
    case 'throughput':
      return runThroughput(target, run.spec);
    case 'latency':
      return runLatency(target, run.spec);
    case 'confirmed':
      return runConfirmed(target, run.spec, run.setup);
  }
}

function rowOf(
  target: BenchTarget,
  spec: WorkloadSpec,
  setup: TargetSetup | undefined,
  outcome: WorkloadOutcome | { skipped: string },
): BenchResult {
  return {
    target: target.name,
    workload: spec.label,
    spec,
    ...(setup === undefined || setup.label === '' ? {} : { setup: setup.label, setupId: setup.id }),
    ...(setup?.baseline === undefined ? {} : { baselineSetupId: setup.baseline }),
    ...outcome,
  };
}

function describeSetup(setup: TargetSetup): string {
  return setup.label === '' ? '' : ` (${setup.label})`;
}
