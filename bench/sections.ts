/**
 * The sections of `npm run bench` that start brokers of their own, beside
 * the main table: ordering (ordering/), security (security/) and operations
 * (operations/). Which of them `options` select, the flags each takes over,
 * and each one's part of the printed report.
 */
import type { BenchOptions } from './main.js';
import type { CostPlan, OrderingBenchResult } from './ordering/index.js';
import { formatOrderingReport } from './ordering/index.js';
import { formatOperationsReport, type OperationsBenchResult } from './operations/index.js';
import { formatSecurityReport, type SecurityBenchResult } from './security/index.js';
import type { Qos, WorkloadSpec } from './workloads/spec.js';

/** Ordo's ordering section: causal and total against fifo, and the metadata's size (ordering/index.ts). */
export const ORDERING_WORKLOAD = 'ordering';
/** Ordo's security section: auth and TLS against none, and logins (security/index.ts). */
export const SECURITY_WORKLOAD = 'security';
/** Ordo's operations section: scrapes and admin reads on a loaded broker, and what metrics and logs cost (operations/index.ts). */
export const OPERATIONS_WORKLOAD = 'operations';
/** The sections that start brokers of their own: they do not fit with `--url`. */
export const BROKER_SECTIONS: readonly string[] = [ORDERING_WORKLOAD, SECURITY_WORKLOAD, OPERATIONS_WORKLOAD];

/**
 * Whether the ordering section runs: named in `workloads`, or (without
 * `workloads`) named in `only`, or with every Ordo workload (no `only` but
 * Ordo, no `qos`).
 */
export function isOrderingSectionSelected(options: BenchOptions): boolean {
  if (options.workloads !== undefined) return options.workloads.includes(ORDERING_WORKLOAD);
  if (options.only !== undefined && options.only.includes(ORDERING_WORKLOAD)) return true;
  return (options.only === undefined || options.only.includes('ordo')) && options.qos === undefined;
}

/**
 * Whether the security section runs: only when named, in `workloads` or
 * (without `workloads`) in `only`. It takes over a minute and compares
 * Ordo with itself, so a plain `npm run bench` leaves it out.
 */
export function isSecuritySectionSelected(options: BenchOptions): boolean {
  return isNamed(options, SECURITY_WORKLOAD);
}

/** Whether the operations section runs: only when named, as the security section (a minute or so, Ordo against itself). */
export function isOperationsSectionSelected(options: BenchOptions): boolean {
  return isNamed(options, OPERATIONS_WORKLOAD);
}

function isNamed(options: BenchOptions, section: string): boolean {
  if (options.workloads !== undefined) return options.workloads.includes(section);
  return options.only?.includes(section) ?? false;
}

/** The flags that reshape the main table's workloads a section reuses: messages, burst cap, bound. */
export function workloadOverrides(options: BenchOptions): Partial<Pick<WorkloadSpec, 'messages' | 'maxBurstMs' | 'timeoutMs'>> {
  return {
    ...(options.messages === undefined ? {} : { messages: options.messages }),
    ...(options.burstMs === undefined ? {} : { maxBurstMs: options.burstMs }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  };
}

/** The flags that shape the ordering runs too: the guarantee, the burst cap, messages per burst, the bound per guarantee. */
export function orderingOverrides(options: BenchOptions): { qos?: Qos; cost: Partial<CostPlan> } {
  return {
    ...(options.qos === undefined ? {} : { qos: options.qos }),
    cost: {
      ...(options.burstMs === undefined ? {} : { maxBurstMs: options.burstMs }),
      ...(options.messages === undefined ? {} : { maxMessages: options.messages }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    },
  };
}

export function formatOrdering(ordering: OrderingBenchResult | undefined): string {
  if (ordering === undefined) return '';
  if (ordering.skipped !== undefined) return `ordering: skipped: ${ordering.skipped}\n\n`;
  return `${formatOrderingReport(ordering.cost, ordering.costPlan, ordering.metadata, ordering.metadataPlan)}\n\n`;
}

export function formatSecurity(security: SecurityBenchResult | undefined): string {
  if (security === undefined) return '';
  if (security.skipped !== undefined) return `security: skipped: ${security.skipped}\n\n`;
  if (security.throughput.length === 0 && security.logins.length === 0) return 'security: no rows at this guarantee\n\n';
  return `${formatSecurityReport(security)}\n\n`;
}

export function formatOperations(operations: OperationsBenchResult | undefined): string {
  if (operations === undefined) return '';
  if (operations.skipped !== undefined) return `operations: skipped: ${operations.skipped}\n\n`;
  return `${formatOperationsReport(operations)}\n\n`;
}
