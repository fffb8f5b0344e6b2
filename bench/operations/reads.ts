/**
 * What reading the broker's state costs on a loaded broker: `GET /metrics`
 * (scrape.ts), `stats()` and the admin listings, each called `samples`
 * times one after another (after `warmup` calls), nothing else running.
 * Latency = the call until its whole answer is in (the body read, the reply
 * decoded by the SDK); size = the body, or the reply frame as it travelled
 * (seen by the wire tap of the ordering section, the largest frame the SDK
 * received during the call); the broker's and this process's CPU time per
 * call show which side the time goes to.
 */
import type { OrdoClient } from '../../client/index.js';
import { installWireTap } from '../ordering/wire-tap.js';
import type { OrdoSecurityTarget } from '../security/security-target.js';
import { describeError } from '../timing.js';
import { percentile } from '../workloads/latency.js';
import { metricsUrl, scrapeMetrics } from './scrape.js';

/** The reads, one row each, in this order. */
export const READS = ['GET /metrics', 'stats()', 'admin.connections()', 'admin.topics()', 'admin.subscriptions()'] as const;
export type ReadName = (typeof READS)[number];

/** How many calls of each read. */
export interface ReadPlan {
  readonly samples: number;
  readonly warmup: number;
  /** Bound on one read's calls, ms; past it the row keeps what was done, with a note. */
  readonly readTimeoutMs: number;
}

/** One row of the reads table. */
export interface ReadRow {
  readonly read: ReadName;
  /** Calls measured. */
  readonly samples: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  /** Bytes of the last answer: the body of /metrics, the reply frame of an SDK call. */
  readonly bytes?: number;
  /** The broker's CPU time per call, ms (from /proc, 10 ms ticks: over 50 calls, ±0.2 ms). */
  readonly serverCpuMs?: number;
  /** This process's CPU time per call (the HTTP client, the SDK's decoding), ms. */
  readonly clientCpuMs?: number;
  readonly error?: string;
}

/** Measures every read of {@link READS} on `target` through `admin`; never throws. */
export async function runReads(target: OrdoSecurityTarget, admin: OrdoClient, plan: ReadPlan): Promise<ReadRow[]> {
  let replyBytes = 0;
  const untap = installWireTap({
    sent: () => undefined,
    received: (frame) => {
      replyBytes = Math.max(replyBytes, frame.length);
    },
  });
  const overSdk = (call: () => Promise<unknown>) => async (): Promise<number> => {
    replyBytes = 0;
    await call();
    return replyBytes;
  };
  const url = metricsUrl(target.listeningUrl);
  const calls: Record<ReadName, () => Promise<number>> = {
    'GET /metrics': () => scrapeMetrics(url),
    'stats()': overSdk(() => admin.stats()),
    'admin.connections()': overSdk(() => admin.admin.connections()),
    'admin.topics()': overSdk(() => admin.admin.topics()),
    'admin.subscriptions()': overSdk(() => admin.admin.subscriptions()),
  };
  try {
    const rows: ReadRow[] = [];
    for (const read of READS) rows.push(await measureRead(target, read, calls[read], plan));
    return rows;
  } finally {
    untap();
  }
}

async function measureRead(target: OrdoSecurityTarget, read: ReadName, call: () => Promise<number>, plan: ReadPlan): Promise<ReadRow> {
  try {
    for (let i = 0; i < plan.warmup; i++) await call();
    const serverBefore = await target.serverCpuMs();
    const clientBefore = process.cpuUsage();
    const deadline = performance.now() + plan.readTimeoutMs;
    const latenciesMs: number[] = [];
    let bytes = 0;
    while (latenciesMs.length < plan.samples && performance.now() < deadline) {
      const at = performance.now();
      bytes = await call();
      latenciesMs.push(performance.now() - at);
    }
    const client = process.cpuUsage(clientBefore);
    const serverAfter = await target.serverCpuMs();
    const done = latenciesMs.length;
    if (done === 0) return { read, samples: 0, error: `timed out after ${plan.readTimeoutMs} ms` };
    const sorted = Float64Array.from(latenciesMs).sort();
    return {
      read,
      samples: done,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      bytes,
      ...(serverBefore === undefined || serverAfter === undefined ? {} : { serverCpuMs: (serverAfter - serverBefore) / done }),
      clientCpuMs: (client.user + client.system) / 1000 / done,
      ...(done < plan.samples ? { error: `timed out after ${plan.readTimeoutMs} ms` } : {}),
    };
  } catch (err) {
    return { read, samples: 0, error: describeError(err) };
  }
}
