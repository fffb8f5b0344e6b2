import { describe, expect, it } from 'vitest';
import { selectWorkloads } from '../../bench/main.js';
import { baselineOf, formatBaselineRatios, goalStatus } from '../../bench/report.js';
import type { BenchResult } from '../../bench/result.js';
import { DEFAULT_WORKLOADS, type WorkloadSpec } from '../../bench/workloads/spec.js';

function spec(id: string): WorkloadSpec {
  const found = DEFAULT_WORKLOADS.find((s) => s.id === id);
  if (found === undefined) throw new Error(`no workload ${id}`);
  return found;
}

/** A measured row of `target` on workload `id` under setup `setupId`. */
function row(target: string, id: string, setupId: string, rate: number, baselineSetupId?: string): BenchResult {
  const s = spec(id);
  return { target, workload: s.label, spec: s, setup: setupId, setupId, rate, ...(baselineSetupId === undefined ? {} : { baselineSetupId }) };
}

describe('exactly-once against its at-least-once baseline', () => {
  const results = [
    row('ordo', 'alo-window-100', 'queue', 40_000),
    row('ordo', 'alo-window-100', 'topic', 30_000),
    row('ordo', 'eo-windowed', 'queue-memory', 26_000, 'queue'),
    row('ordo', 'eo-windowed', 'topic-memory', 12_000, 'topic'),
    row('nats', 'alo-window-100', 'jetstream', 9_000),
    row('nats', 'eo-windowed', 'dedup', 4_500, 'jetstream'),
  ];

  it('the workload names its baseline, at the same window', () => {
    const eo = spec('eo-windowed');
    expect(eo.baseline).toBe('alo-window-100');
    expect(spec('alo-window-100').window).toBe(eo.window);
  });

  it('selecting the exactly-once workload selects its baseline too', () => {
    const ids = (workloads: WorkloadSpec[]): string[] => workloads.map((w) => w.id);
    expect(ids(selectWorkloads({ qos: 'exactly-once' }))).toEqual(['alo-window-100', 'eo-windowed']);
    expect(ids(selectWorkloads({ workloads: ['eo-windowed'] }))).toEqual(['alo-window-100', 'eo-windowed']);
    expect(ids(selectWorkloads({ workloads: ['alo-window-100'] }))).toEqual(['alo-window-100']);
  });

  it('finds the same target\'s baseline row under the setup\'s counterpart', () => {
    expect(baselineOf(results[3], results)).toBe(results[1]);
    expect(baselineOf(results[5], results)).toBe(results[4]);
    expect(baselineOf(results[0], results)).toBeUndefined();
  });

  it('judges Ordo\'s goal on the rate and on the ratio to the baseline', () => {
    expect(goalStatus(results[2], baselineOf(results[2], results))).toBe('goal met');
    expect(goalStatus(results[3], baselineOf(results[3], results))).toBe('goal missed: rate ≥ 25,000, ≥ 0.50× alo-window-100');
    expect(goalStatus(results[2], undefined)).toBe('goal missed: ≥ 0.50× alo-window-100');
  });

  it('prints one ratio row per exactly-once row, with Ordo\'s goal', () => {
    // Title, header, rule, then the rows.
    const lines = formatBaselineRatios(results).split('\n');
    expect(lines).toHaveLength(3 + 3);
    expect(lines[3]).toMatch(/ordo .*queue-memory .*26,000 .*40,000 .*0\.65× .*goal ≥ 0\.50×: met/);
    expect(lines[4]).toMatch(/ordo .*topic-memory .*12,000 .*30,000 .*0\.40× .*goal ≥ 0\.50×: missed/);
    expect(lines[5]).toMatch(/nats .*dedup .*4,500 .*9,000 .*0\.50×$/);
  });

  it('prints nothing without an exactly-once row', () => {
    expect(formatBaselineRatios(results.filter((r) => r.spec.baseline === undefined))).toBe('');
  });
});
