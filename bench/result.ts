import type { StoreCounters } from './targets/target.js';
import type { WorkloadSpec } from './workloads/spec.js';

/** Delivery checks of one run, summed over every subscriber. */
export interface DeliveryTotals {
  /** Deliveries the run should have produced: published × subscribers. */
  readonly expected: number;
  /** Distinct messages received, summed over subscribers. */
  readonly delivered: number;
  /** expected − delivered. */
  readonly lost: number;
  /** Receipts of a message a subscriber already had. */
  readonly duplicated: number;
  /** Messages that arrived after a later message of the same publisher. */
  readonly reordered: number;
  /** Messages no publisher of this run sent (corrupt header, stray traffic). */
  readonly unexpected: number;
}

/** One row of the report: a target on a workload. */
export interface BenchResult {
  readonly target: string;
  readonly workload: string;
  readonly spec: WorkloadSpec;
  /** The target's setup the row ran under (durability, queue type …); absent for the plain one. */
  readonly setup?: string;
  /** The setup's id, present with {@link setup}. */
  readonly setupId?: string;
  /** An exactly-once setup's at-least-once counterpart (its id): the row of the spec's baseline workload to divide by. */
  readonly baselineSetupId?: string;
  /** Why the row did not run (target not installed, spec not supported). */
  readonly skipped?: string;
  /** Why the run failed or was cut short (timeout, connection error). */
  readonly error?: string;
  /** Deliveries per second, first publish to last delivery: the median of the runs (throughput only). */
  readonly rate?: number;
  /** The rate of each measured run, in run order (throughput only). */
  readonly runRates?: readonly number[];
  /** Publishes per second as seen by the publishers (confirmed ones for `confirmed`), median of the runs. */
  readonly publishRate?: number;
  /** Median round trip, µs (latency only). */
  readonly p50Us?: number;
  /** 99th percentile round trip, µs (latency only). */
  readonly p99Us?: number;
  /** Latency samples taken (latency only). */
  readonly samples?: number;
  /** Delivery checks, summed over every measured run. */
  readonly delivery?: DeliveryTotals;
  /** Wall-clock time of the measured part, ms (all runs). */
  readonly durationMs?: number;
  /** CPU time of the server process during the measured part, ms (10 ms resolution). */
  readonly serverCpuMs?: number;
  /** CPU time of the bench process (every client) during the measured part, ms. */
  readonly clientCpuMs?: number;
  /** What the target's store did during the measured part, when it reports it (Ordo): commits and messages. */
  readonly store?: StoreCounters;
}

/** What a workload run measured; the runner adds target, workload and spec. */
export type WorkloadOutcome = Omit<BenchResult, 'target' | 'workload' | 'spec' | 'setup' | 'setupId' | 'baselineSetupId' | 'skipped'>;
