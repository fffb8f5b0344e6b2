/**
 * What a benchmark run measures: the workload parameters as one plain object,
 * so later issues add modes (another guarantee, ordering, payload size, fan-out)
 * as new entries in {@link DEFAULT_WORKLOADS} rather than as new code paths.
 * A target that cannot run a spec says why through `BenchTarget.supports`.
 */

/** Delivery guarantees, as DESIGN.md names them. */
export const QOS_LEVELS = ['at-most-once', 'at-least-once', 'exactly-once'] as const;
/** A delivery guarantee. */
export type Qos = (typeof QOS_LEVELS)[number];

/** Ordering guarantees, as DESIGN.md names them. */
export const ORDERINGS = ['fifo', 'causal', 'total'] as const;
/** An ordering guarantee. */
export type Ordering = (typeof ORDERINGS)[number];

/** The measurement shapes the harness knows. */
export const WORKLOAD_KINDS = ['throughput', 'latency', 'confirmed'] as const;
/**
 * A measurement shape: a burst measured end to end, one message at a time,
 * or confirmed publishes to an acking consumer (at-least-once, `window` in flight).
 */
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** What the rate of a `confirmed` workload counts. */
export const CONFIRMED_RATES = ['end-to-end', 'confirms'] as const;
/**
 * `end-to-end`: messages delivered and acked per second, first publish to
 * the consumer's last ack; `confirms`: confirmed publishes per second.
 */
export type ConfirmedRate = (typeof CONFIRMED_RATES)[number];

/** Goals Ordo is held to on a workload (shown beside Ordo's row; peers are not judged). */
export interface WorkloadGoal {
  /** Minimum deliveries per second. */
  readonly minRate?: number;
  /** Maximum median round trip, µs. */
  readonly maxP50Us?: number;
  /** Maximum 99th percentile round trip, µs. */
  readonly maxP99Us?: number;
  /** Least rate as a fraction of the same target's rate on the spec's {@link WorkloadSpec.baseline} (0.5: half). */
  readonly minBaselineRatio?: number;
}

/** One workload: every parameter a target needs to run it the same way as its peers. */
export interface WorkloadSpec {
  /** Stable id used by `--workloads` and in JSON output, e.g. `throughput-1-10`. */
  readonly id: string;
  /** Name printed in the table, e.g. `1→10 throughput`. */
  readonly label: string;
  readonly kind: WorkloadKind;
  /** Guarantee of every publish and subscription. Default workloads: `at-most-once`. */
  readonly qos: Qos;
  /** Ordering guarantee of every publish and subscription. Default workloads: `fifo`. */
  readonly order: Ordering;
  /** Bytes per message, header included (≥ {@link MIN_PAYLOAD_BYTES}). Default 128. */
  readonly payloadBytes: number;
  /** Messages per publisher (throughput) or measured samples (latency). */
  readonly messages: number;
  /** Publishing connections (throughput only; latency always uses one). */
  readonly publishers: number;
  /** Subscribing connections, each on its own connection. */
  readonly subscribers: number;
  /** Measured runs (bursts) of a throughput workload; the rate reported is their median. */
  readonly runs: number;
  /**
   * Target length of one throughput burst, ms: a burst publishes fewer than
   * `messages` when the previous one's rate says it would take longer, and
   * stops publishing after this long in any case (slow targets). What was
   * published is what is expected, so the checks stay exact.
   */
  readonly maxBurstMs: number;
  /** Wall-clock bound of the whole workload run, ms; past it the row fails with a note. */
  readonly timeoutMs: number;
  /** `confirmed` only: publishes in flight without their confirm, per publisher (1: one at a time). */
  readonly window?: number;
  /** `confirmed` only: what the rate counts. Default `end-to-end`. */
  readonly rateOf?: ConfirmedRate;
  /**
   * Id of the workload this one is measured against on every target (an
   * exactly-once workload's at-least-once twin, same window): selecting this
   * one selects it too, and the report prints their ratio per target.
   */
  readonly baseline?: string;
  readonly goal?: WorkloadGoal;
}

/** The header every payload carries (publisher id + sequence number), bytes. */
export const MIN_PAYLOAD_BYTES = 8;

const BASE = {
  qos: 'at-most-once',
  order: 'fifo',
  payloadBytes: 128,
  publishers: 1,
  runs: 3,
  maxBurstMs: 3_000,
  timeoutMs: 20_000,
} as const;

/** What the windowed confirmed workloads share: long bursts, a longer timeout. */
const WINDOWED = {
  ...BASE,
  kind: 'confirmed',
  messages: 200_000,
  subscribers: 1,
  rateOf: 'end-to-end',
  maxBurstMs: 1_500,
  timeoutMs: 30_000,
} as const;

/**
 * The workloads `npm run bench` runs, in order. Message counts are chosen so
 * each burst takes about a second on Ordo's targets and the whole workload
 * stays under the timeout on the slowest peer. The confirmed ones
 * (at-least-once, exactly-once) run once per setup a target offers for
 * their guarantee (its durability settings, its dedup).
 */
export const DEFAULT_WORKLOADS: readonly WorkloadSpec[] = [
  {
    ...BASE,
    id: 'throughput-1-1',
    label: '1→1 throughput',
    kind: 'throughput',
    messages: 200_000,
    subscribers: 1,
    goal: { minRate: 200_000 },
  },
  {
    ...BASE,
    id: 'throughput-1-10',
    label: '1→10 throughput',
    kind: 'throughput',
    messages: 50_000,
    subscribers: 10,
    goal: { minRate: 600_000 },
  },
  {
    ...BASE,
    id: 'latency',
    label: 'round trip',
    kind: 'latency',
    messages: 20_000,
    subscribers: 1,
    runs: 1,
    goal: { maxP50Us: 100, maxP99Us: 500 },
  },
  {
    ...WINDOWED,
    id: 'alo-windowed',
    label: 'at-least-once, 500 in flight',
    qos: 'at-least-once',
    window: 500,
    goal: { minRate: 60_000 },
  },
  {
    ...BASE,
    id: 'alo-one-at-a-time',
    label: 'at-least-once, 1 at a time',
    kind: 'confirmed',
    qos: 'at-least-once',
    messages: 20_000,
    subscribers: 1,
    window: 1,
    rateOf: 'confirms',
    maxBurstMs: 1_000,
    goal: { minRate: 3_000 },
  },
  {
    ...WINDOWED,
    id: 'alo-window-100',
    label: 'at-least-once, 100 in flight',
    qos: 'at-least-once',
    window: 100,
  },
  {
    ...WINDOWED,
    id: 'eo-windowed',
    label: 'exactly-once, 100 in flight',
    qos: 'exactly-once',
    window: 100,
    baseline: 'alo-window-100',
    goal: { minRate: 25_000, minBaselineRatio: 0.5 },
  },
];
