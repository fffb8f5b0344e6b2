/**
 * The report: one table of the at-most-once rows (rate, the delivery checks
 * beside it, latency percentiles), one of the confirmed rows (at-least-once
 * and exactly-once, one per target setup, with messages per fsync where the
 * target counts them), each target's rate on a workload with a baseline
 * divided by its rate on the baseline (exactly-once ÷ at-least-once), then
 * Ordo's ratio to each peer on each workload.
 */
import type { BenchResult } from './result.js';
import type { WorkloadSpec } from './workloads/spec.js';

const DASH = '–';

/** Where the numbers come from, printed above the table. */
export interface BenchContext {
  /** `process.version`. */
  readonly node: string;
  readonly cpus: number;
  /** One-minute load average when the run started: other work on the machine skews every row. */
  readonly loadAverage: number;
}

/** One line on the machine and the method, so a table pasted elsewhere still says how it was taken. */
export function formatContext(context: BenchContext): string {
  return [
    `node ${context.node}, ${context.cpus} CPUs, load average ${context.loadAverage.toFixed(2)} at start`,
    'each server in its own process on 127.0.0.1; all clients of a run in this process; rate = median of runs',
  ].join('\n');
}

/** The whole report as text: the results tables, then the ratio table when there is a peer to compare with. */
export function formatReport(results: readonly BenchResult[]): string {
  const confirmed = results.filter((r) => r.spec.kind === 'confirmed');
  const others = results.filter((r) => r.spec.kind !== 'confirmed');
  return [
    others.length > 0 ? formatTable(others) : '',
    confirmed.length > 0 ? formatConfirmedTable(confirmed) : '',
    formatBaselineRatios(results),
    formatRatios(results),
  ]
    .filter((part) => part !== '')
    .join('\n\n');
}

/**
 * target | workload | rate | lost | dup | reordered | p50 µs | p99 µs |
 * server CPU µs per delivery | note.
 */
export function formatTable(results: readonly BenchResult[]): string {
  const header = ['target', 'workload', 'rate (msg/s)', 'lost', 'dup', 'reordered', 'p50 µs', 'p99 µs', 'srv CPU µs/msg', 'note'];
  const rows = results.map((r) => [
    r.target,
    r.workload,
    r.rate === undefined ? DASH : formatInteger(r.rate),
    formatCount(r, 'lost'),
    formatCount(r, 'duplicated'),
    formatCount(r, 'reordered'),
    formatMicros(r.p50Us),
    formatMicros(r.p99Us),
    formatServerCpu(r),
    noteOf(r),
  ]);
  return alignColumns([header, ...rows], [false, false, true, true, true, true, true, true, true, false]);
}

/**
 * The confirmed rows (at-least-once, exactly-once), grouped by workload:
 * workload | target | setup | rate | lost | dup | reordered | messages per
 * fsync | server CPU µs per delivery | note.
 */
export function formatConfirmedTable(results: readonly BenchResult[]): string {
  const workloads = [...new Set(results.map((r) => r.workload))];
  const sorted = workloads.flatMap((workload) => results.filter((r) => r.workload === workload));
  const header = ['confirmed', 'target', 'setup', 'rate (msg/s)', 'lost', 'dup', 'reordered', 'msg/fsync', 'srv CPU µs/msg', 'note'];
  const rows = sorted.map((r) => [
    r.workload,
    r.target,
    r.setup ?? DASH,
    r.rate === undefined ? DASH : formatInteger(r.rate),
    formatCount(r, 'lost'),
    formatCount(r, 'duplicated'),
    formatCount(r, 'reordered'),
    r.store === undefined || r.store.commits === 0 ? DASH : (r.store.messages / r.store.commits).toFixed(1),
    formatServerCpu(r),
    noteOf(r, baselineOf(r, results)),
  ]);
  return alignColumns([header, ...rows], [false, false, false, true, true, true, true, true, true, false]);
}

/**
 * Each row of a workload with a baseline (exactly-once) beside the same
 * target's row of the baseline (at-least-once, same window) under the
 * setup's counterpart (the same destination and durability without dedup):
 * workload | target | setup | rate | baseline rate | ratio | note (Ordo's
 * goal). Empty when no such row ran.
 */
export function formatBaselineRatios(results: readonly BenchResult[]): string {
  const rows = results
    .filter((r) => r.spec.baseline !== undefined && r.skipped === undefined)
    .map((r) => {
      const baseline = baselineOf(r, results);
      const goal = r.target === 'ordo' ? baselineGoalStatus(r, baseline) : undefined;
      return [
        `${r.workload} ÷ ${baseline?.workload ?? r.spec.baseline}`,
        r.target,
        r.setup ?? DASH,
        r.rate === undefined ? DASH : formatInteger(r.rate),
        baseline?.rate === undefined ? DASH : formatInteger(baseline.rate),
        formatRatio(r.rate, baseline?.rate, true),
        goal ?? '',
      ];
    });
  if (rows.length === 0) return '';
  const header = ['against baseline', 'target', 'setup', 'rate (msg/s)', 'baseline rate', 'ratio', 'note'];
  const title = "Each target against itself: rate ÷ its rate on the workload's baseline, under the setup's counterpart (same destination and durability)";
  return `${title}\n${alignColumns([header, ...rows], [false, false, false, true, true, true, false])}`;
}

/** The same target's row of `result`'s baseline workload under the setup's counterpart; undefined when none. */
export function baselineOf(result: BenchResult, results: readonly BenchResult[]): BenchResult | undefined {
  if (result.spec.baseline === undefined) return undefined;
  return results.find(
    (r) => r.target === result.target && r.spec.id === result.spec.baseline && r.setupId === result.baselineSetupId && r.skipped === undefined,
  );
}

/**
 * Ordo ÷ peer per workload, oriented so that above 1× means Ordo is better:
 * Ordo's rate ÷ the peer's rate; the peer's latency ÷ Ordo's latency.
 * Empty when Ordo or every peer lacks a measured row.
 */
export function formatRatios(results: readonly BenchResult[]): string {
  const measured = results.filter((r) => r.skipped === undefined && (r.rate !== undefined || r.p50Us !== undefined));
  const ordo = measured.filter((r) => r.target === 'ordo');
  const peers = [...new Set(measured.filter((r) => r.target !== 'ordo').map((r) => r.target))];
  if (ordo.length === 0 || peers.length === 0) return '';
  const rows: string[][] = [];
  for (const own of ordo) {
    const lines: Array<[string, (r: BenchResult) => number | undefined, boolean]> =
      own.rate !== undefined
        ? [[own.setup === undefined ? own.workload : `${own.workload} (${own.setup})`, (r) => r.rate, true]]
        : [
            [`${own.workload} p50`, (r) => r.p50Us, false],
            [`${own.workload} p99`, (r) => r.p99Us, false],
          ];
    for (const [label, value, isHigherBetter] of lines) {
      rows.push([
        label,
        ...peers.map((peer) => {
          const other = measured.find((r) => r.target === peer && r.workload === own.workload);
          return formatRatio(value(own), other === undefined ? undefined : value(other), isHigherBetter);
        }),
      ]);
    }
  }
  const title =
    'Ordo relative to peers (above 1× = Ordo better: rate ÷ peer rate, peer latency ÷ Ordo latency; confirmed: vs the peer\'s default setup)';
  const header = ['workload', ...peers.map((peer) => `vs ${peer}`)];
  return `${title}\n${alignColumns([header, ...rows], [false, ...peers.map(() => true)])}`;
}

/**
 * Whether a result meets its workload's goals: undefined when it has none or
 * did not run. A goal relative to the baseline is judged with `baseline`'s
 * rate (see {@link baselineOf}), and counts as missed without it.
 */
export function goalStatus(result: BenchResult, baseline?: BenchResult): string | undefined {
  const goal = result.spec.goal;
  if (goal === undefined || result.skipped !== undefined || result.error !== undefined) return undefined;
  const missed: string[] = [];
  if (goal.minRate !== undefined && (result.rate ?? 0) < goal.minRate) missed.push(`rate ≥ ${formatInteger(goal.minRate)}`);
  if (goal.maxP50Us !== undefined && !((result.p50Us ?? Infinity) <= goal.maxP50Us)) missed.push(`p50 ≤ ${goal.maxP50Us}`);
  if (goal.maxP99Us !== undefined && !((result.p99Us ?? Infinity) <= goal.maxP99Us)) missed.push(`p99 ≤ ${goal.maxP99Us}`);
  if (goal.minBaselineRatio !== undefined && !isBaselineRatioMet(result, baseline, goal.minBaselineRatio)) {
    missed.push(`≥ ${goal.minBaselineRatio.toFixed(2)}× ${result.spec.baseline}`);
  }
  return missed.length === 0 ? 'goal met' : `goal missed: ${missed.join(', ')}`;
}

/** The baseline part of a result's goal alone, for the table of ratios: undefined when it has none or did not run. */
function baselineGoalStatus(result: BenchResult, baseline: BenchResult | undefined): string | undefined {
  const minRatio = result.spec.goal?.minBaselineRatio;
  if (minRatio === undefined || result.error !== undefined) return undefined;
  return `goal ≥ ${minRatio.toFixed(2)}×: ${isBaselineRatioMet(result, baseline, minRatio) ? 'met' : 'missed'}`;
}

function isBaselineRatioMet(result: BenchResult, baseline: BenchResult | undefined, minRatio: number): boolean {
  const baseRate = baseline?.error === undefined ? baseline?.rate : undefined;
  return baseRate !== undefined && baseRate > 0 && (result.rate ?? 0) / baseRate >= minRatio;
}

function noteOf(r: BenchResult, baseline?: BenchResult): string {
  if (r.skipped !== undefined) return `skipped: ${r.skipped}`;
  const notes: string[] = [];
  if (r.error !== undefined) notes.push(`failed: ${r.error}`);
  if (r.delivery !== undefined && r.delivery.unexpected > 0) notes.push(`${r.delivery.unexpected} unexpected`);
  const goal = r.target === 'ordo' ? goalStatus(r, baseline) : undefined;
  if (goal !== undefined) notes.push(goal);
  if (!isDefaultMode(r.spec) && r.spec.kind !== 'confirmed') notes.push(`${r.spec.qos}, ${r.spec.order}`);
  return notes.join('; ');
}

function isDefaultMode(spec: WorkloadSpec): boolean {
  return spec.qos === 'at-most-once' && spec.order === 'fifo';
}

function formatCount(r: BenchResult, key: 'lost' | 'duplicated' | 'reordered'): string {
  return r.delivery === undefined ? DASH : formatInteger(r.delivery[key]);
}

/** An integer with thousands separators, e.g. `12,345`. */
export function formatInteger(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function formatMicros(us: number | undefined): string {
  if (us === undefined || Number.isNaN(us)) return DASH;
  return us < 100 ? us.toFixed(1) : formatInteger(us);
}

/** Server CPU time per delivery, µs: what a delivery costs the broker, whatever the client's speed. */
function formatServerCpu(r: BenchResult): string {
  if (r.serverCpuMs === undefined || r.delivery === undefined || r.delivery.delivered === 0) return DASH;
  return ((r.serverCpuMs * 1000) / r.delivery.delivered).toFixed(2);
}

function formatRatio(own: number | undefined, other: number | undefined, isHigherBetter: boolean): string {
  if (own === undefined || other === undefined || own <= 0 || other <= 0) return DASH;
  const ratio = isHigherBetter ? own / other : other / own;
  return `${ratio < 10 ? ratio.toFixed(2) : ratio.toFixed(1)}×`;
}

/** A table: columns padded to their widest cell, a rule under the header row. */
export function alignColumns(rows: readonly string[][], isRightAligned: readonly boolean[]): string {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => row[col].length)));
  const lines = rows.map((row) =>
    row
      .map((cell, col) => (isRightAligned[col] ? cell.padStart(widths[col]) : cell.padEnd(widths[col])))
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return lines.join('\n');
}
