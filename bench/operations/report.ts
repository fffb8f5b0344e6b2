/**
 * The operations section of the report: the reads table (what a scrape,
 * `stats()` and each admin listing cost on the loaded broker), then the
 * hot-path table with one ratio line per pair (scraped ÷ not scraped,
 * log info ÷ log silent).
 */
import { DASH, formatMs, formatRatio, formatSpread, noteOf } from '../format.js';
import { alignColumns, formatInteger } from '../report.js';
import type { WorkloadSpec } from '../workloads/spec.js';
import { CHURN_MEASURE, THROUGHPUT_MEASURE, type HotPathPlan, type HotPathRow } from './hot-path.js';
import type { LoadPlan } from './load.js';
import type { ReadPlan, ReadRow } from './reads.js';

/** What {@link formatOperationsReport} prints. */
export interface OperationsReportInput {
  readonly plan: LoadPlan & ReadPlan & HotPathPlan;
  readonly workload: WorkloadSpec;
  readonly reads: readonly ReadRow[];
  readonly hotPath: readonly HotPathRow[];
  readonly loadMs?: number;
}

/** Both tables with their titles and ratio lines, or what of them ran. */
export function formatOperationsReport(input: OperationsReportInput): string {
  const { plan } = input;
  const loaded = input.loadMs === undefined ? '' : `, loaded in ${(input.loadMs / 1000).toFixed(1)} s`;
  const title = [
    `Operations, Ordo only: brokers loaded with ${formatInteger(plan.queues)} queues (${plan.messagesPerQueue} stored messages each, and the dead-letter queue`,
    `made beside each) and ${formatInteger(plan.connections)} open connections (one subscription each, to a topic of its own holding a retained message)${loaded}; ws://, auth off`,
  ].join('\n');
  return [title, input.reads.length > 0 ? formatReads(input.reads, plan) : '', input.hotPath.length > 0 ? formatHotPath(input.hotPath, input.workload, plan) : '']
    .filter((part) => part !== '')
    .join('\n\n');
}

/** read | calls | p50 ms | p99 ms | bytes | server and client CPU ms per call | note. */
export function formatReads(rows: readonly ReadRow[], plan: ReadPlan): string {
  const header = ['read', 'calls', 'p50 ms', 'p99 ms', 'bytes', 'srv CPU ms/call', 'client CPU ms/call', 'note'];
  const lines = rows.map((r) => [
    r.read,
    formatInteger(r.samples),
    formatMs(r.p50Ms),
    formatMs(r.p99Ms),
    r.bytes === undefined ? DASH : formatInteger(r.bytes),
    formatMs(r.serverCpuMs),
    formatMs(r.clientCpuMs),
    noteOf(r.error),
  ]);
  const title = [
    `Reads on the broker logging at info, one call at a time, ${plan.samples} of each after ${plan.warmup} to warm up: latency = the call until its whole answer is in`,
    `(the body read; the SDK's reply decoded); bytes = the body, or the reply frame as it travelled; CPU time per call of the broker and of this process`,
  ].join('\n');
  const isRight = [false, true, true, true, true, true, true, false];
  return `${title}\n${alignColumns([header, ...lines], isRight)}`;
}

/** measure | broker | rate | min–max | server CPU µs per message or connection | lost | dup | reordered | note; then the ratio lines. */
export function formatHotPath(rows: readonly HotPathRow[], workload: WorkloadSpec, plan: HotPathPlan): string {
  const header = ['measure', 'broker', 'rate', 'min–max', 'srv CPU µs/op', 'lost', 'dup', 'reordered', 'note'];
  const lines = rows.map((r) => [
    `${r.measure} (${unitOf(r)})`,
    r.variant,
    r.rate === undefined ? DASH : formatInteger(r.rate),
    formatSpread(r.rates),
    r.serverCpuUs === undefined ? DASH : r.serverCpuUs.toFixed(r.serverCpuUs < 100 ? 2 : 0),
    r.delivery === undefined ? DASH : formatInteger(r.delivery.lost),
    r.delivery === undefined ? DASH : formatInteger(r.delivery.duplicated),
    r.delivery === undefined ? DASH : formatInteger(r.delivery.reordered),
    [r.detail, noteOf(r.error, r.delivery?.unexpected)].filter((part) => part !== undefined && part !== '').join('; '),
  ]);
  const title = [
    `Hot path, each pair in turns (${plan.rounds} rounds of each side): ${workload.label}, at-most-once, ${workload.payloadBytes}-byte payloads (the main table's workload;`,
    `rate = deliveries/s, the median of every burst of the rounds) with /metrics scraped every ${plan.scrapeIntervalMs} ms by a side loop (a worker thread of this process)`,
    `and without; ${CHURN_MEASURE}: connect, HELLO → WELCOME, close, one at a time, ${formatInteger(plan.churnPerRound)} per round, rate = the median of the rounds,`,
    `on the broker logging at info (a connection_open and a connection_close line each, JSON on a pipe) and on the one at silent; op = a delivery, a connection`,
  ].join('\n');
  const isRight = [false, false, true, true, true, true, true, true, false];
  return `${title}\n${alignColumns([header, ...lines], isRight)}\n${hotPathRatios(rows).join('\n')}`;
}

/** One line per pair: the second side ÷ the first for throughput (scraped ÷ not), the first ÷ the second for churn (info ÷ silent). */
export function hotPathRatios(rows: readonly HotPathRow[]): string[] {
  const lines: string[] = [];
  for (const measure of [THROUGHPUT_MEASURE, CHURN_MEASURE] as const) {
    const pair = rows.filter((r) => r.measure === measure);
    if (pair.length !== 2) continue;
    const [own, base] = measure === THROUGHPUT_MEASURE ? [pair[1], pair[0]] : [pair[0], pair[1]];
    const what = `${measure}: ${own.variant} ÷ ${base.variant}`;
    if (own.rate === undefined || base.rate === undefined || own.error !== undefined || base.error !== undefined) {
      lines.push(`${what} = ${DASH} (a row is missing or failed)`);
      continue;
    }
    const cpu = formatRatio(own.serverCpuUs, base.serverCpuUs);
    lines.push(`${what} = ${formatRatio(own.rate, base.rate)} (${formatInteger(base.rate)} → ${formatInteger(own.rate)} ${unitOf(own)}; srv CPU/op ${cpu})`);
  }
  return lines;
}

function unitOf(row: HotPathRow): string {
  return row.measure === THROUGHPUT_MEASURE ? 'msg/s' : 'conn/s';
}
