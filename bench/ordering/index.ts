/**
 * The ordering section of `npm run bench` (Ordo only): the cost of causal
 * and total order against fifo at each guarantee (cost.ts), and the size of
 * the ordering metadata per message with 10, 100 and 1,000 publishers
 * (metadata.ts), all on one broker (`ordo broker` from this checkout,
 * default configuration, throw-away data folder), stopped afterwards: the
 * three orders of a guarantee share it, as the confirmed rows share theirs.
 */
import { OrdoTarget } from '../targets/ordo.js';
import { PLAIN_SETUP } from '../targets/target.js';
import { describeError, withTimeout } from '../timing.js';
import { ORDERINGS, QOS_LEVELS, type Qos } from '../workloads/spec.js';
import { DEFAULT_COST_PLAN, runOrderingCost, type CostPlan, type OrderingCostRow } from './cost.js';
import { DEFAULT_METADATA_PLAN, runOrderingMetadata, type MetadataPlan, type MetadataRow } from './metadata.js';

export { formatOrderingReport } from './report.js';
export type { CostPlan, OrderingCostRow } from './cost.js';
export type { MetadataPlan, MetadataRow } from './metadata.js';

/** Options of {@link benchOrdering}. */
export interface OrderingBenchOptions {
  /** Only this guarantee's cost rows, and no metadata runs. Default: every guarantee, and the metadata runs. */
  qos?: Qos;
  /** Overrides of {@link DEFAULT_COST_PLAN} (from `--burst-ms`, `--messages`, `--timeout`). */
  cost?: Partial<CostPlan>;
  metadata?: Partial<MetadataPlan>;
  log: (line: string) => void;
}

/** What {@link benchOrdering} measured. */
export interface OrderingBenchResult {
  readonly cost: OrderingCostRow[];
  readonly costPlan: CostPlan;
  readonly metadata: MetadataRow[];
  readonly metadataPlan: MetadataPlan;
  /** Why nothing ran (the broker is not built). */
  readonly skipped?: string;
}

/** Bound on a broker start, ms. */
const START_TIMEOUT_MS = 30_000;

/** Runs the ordering section; never throws (failures are rows). */
export async function benchOrdering(options: OrderingBenchOptions): Promise<OrderingBenchResult> {
  const costPlan = { ...DEFAULT_COST_PLAN, ...options.cost };
  const metadataPlan = { ...DEFAULT_METADATA_PLAN, ...options.metadata };
  const result = { cost: [] as OrderingCostRow[], costPlan, metadata: [] as MetadataRow[], metadataPlan };
  const target = new OrdoTarget();
  const available = await target.isAvailable();
  if (available !== true) return { ...result, skipped: available };
  const guarantees = QOS_LEVELS.filter((q) => options.qos === undefined || q === options.qos);
  const isMetadataRun = options.qos === undefined;
  const outcome = await withBroker(target, 'ordering', async (broker) => {
    for (const qos of guarantees) {
      options.log(`ordering ${qos}: fifo, causal, total`);
      result.cost.push(...(await runOrderingCost(broker, qos, costPlan, options.log)));
    }
    if (isMetadataRun) result.metadata.push(...(await runOrderingMetadata(broker, metadataPlan, options.log)));
  });
  if (outcome !== undefined) {
    // The broker did not start: every row says so.
    result.cost.push(...guarantees.flatMap((qos) => ORDERINGS.map((order) => ({ qos, order, error: outcome.error }))));
    if (isMetadataRun) {
      result.metadata.push(
        ...metadataPlan.publisherCounts.flatMap((publishers) => metadataPlan.orders.map((order) => ({ order, publishers, messages: 0, error: outcome.error }))),
      );
    }
  }
  return result;
}

/** Starts a fresh broker, runs `body` against it, stops it (also on SIGINT / SIGTERM); a failed start is `{ error }`. */
async function withBroker(target: OrdoTarget, what: string, body: (broker: OrdoTarget) => Promise<void>): Promise<{ error: string } | undefined> {
  const stopOnSignal = (signal: NodeJS.Signals): void => void target.stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    try {
      await withTimeout(target.start(PLAIN_SETUP), START_TIMEOUT_MS, `${what}: start`);
    } catch (err) {
      return { error: `start failed: ${describeError(err)}` };
    }
    await body(target);
    return undefined;
  } finally {
    await target.stop().catch(() => undefined);
    process.removeListener('SIGINT', stopOnSignal);
    process.removeListener('SIGTERM', stopOnSignal);
  }
}
