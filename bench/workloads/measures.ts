/** Arithmetic and CPU accounting shared by the burst-based workloads. */
import type { BenchTarget } from '../targets/target.js';

/** CPU time of the server and of this process over the measured bursts. */
export class CpuMeter {
  private constructor(
    private readonly target: BenchTarget,
    private readonly server: number | undefined,
    private readonly client: NodeJS.CpuUsage,
  ) {}

  static async start(target: BenchTarget): Promise<CpuMeter> {
    return new CpuMeter(target, await target.serverCpuMs(), process.cpuUsage());
  }

  async stop(): Promise<{ serverCpuMs?: number; clientCpuMs: number }> {
    const client = process.cpuUsage(this.client);
    const server = await this.target.serverCpuMs();
    const clientCpuMs = (client.user + client.system) / 1000;
    return server === undefined || this.server === undefined ? { clientCpuMs } : { serverCpuMs: server - this.server, clientCpuMs };
  }
}

/** `count` per second over `ms` milliseconds; 0 when no time passed. */
export function perSecond(count: number, ms: number): number {
  return ms > 0 ? (count * 1000) / ms : 0;
}

/** The median of `values` (the mean of the middle two for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
