/**
 * What causal and total order cost, against fifo, at one guarantee: Ordo
 * only (the peers have no such ordering), driven through the SDK as an
 * application writes it: publishers `publish(…, { qos, order })`,
 * subscribers `subscribe(…, { qos, order })` with the same `order`, so the
 * broker stamps the metadata and the SDK's hold-back runs on every delivery.
 *
 * One cell per order (fifo, causal, total), each on its own connections and
 * topic, on one broker: `publishers` → `subscribers`. Each cell runs a
 * warm-up burst, then `runs` measured bursts, taken in turn across the three
 * cells (run 1 of fifo, causal, total, then run 2 …) so drift on the machine
 * touches each alike; then a latency run, one message in flight. Every
 * burst is checked: per publisher (lost, duplicated, reordered: verify.ts)
 * and, for ordered cells, on the broker's metadata (order-checks.ts).
 */
import type { DedupStore, Message, OrdoClient, PublishOptions, SubscribeOptions } from '../../client/index.js';
import { makePayloads, readPublisherId, readSequence } from '../payload.js';
import type { DeliveryTotals } from '../result.js';
import { describeError, yieldToEventLoop } from '../timing.js';
import { DeliveryVerifier, sumDeliveryCounts } from '../verify.js';
import { BURST_ID_STRIDE, awaitDeliveries } from '../workloads/bursts.js';
import { settlesBefore } from '../workloads/connections.js';
import { percentile } from '../workloads/latency.js';
import { median, perSecond } from '../workloads/measures.js';
import { ORDERINGS, type Ordering, type Qos } from '../workloads/spec.js';
import { HandledOrder, checkOrder, type OrderChecks } from './order-checks.js';

/** The shape of the ordering cost runs; {@link DEFAULT_COST_PLAN} unless flags say otherwise. */
export interface CostPlan {
  readonly publishers: number;
  readonly subscribers: number;
  readonly payloadBytes: number;
  /** Measured bursts per cell; the rate is their median. */
  readonly runs: number;
  /** Cap on the publishing of one burst, ms (the subscribers may take longer to drain it). */
  readonly maxBurstMs: number;
  /** Most messages per publisher in one burst. */
  readonly maxMessages: number;
  /** At-least-once and exactly-once: publishes in flight without their confirm, per publisher. */
  readonly window: number;
  /** At-least-once and exactly-once: unacked deliveries a subscriber may hold. */
  readonly prefetch: number;
  /** One-in-flight round trips dropped before measuring. */
  readonly latencyWarmup: number;
  /** Most one-in-flight round trips measured per cell… */
  readonly latencySamples: number;
  /** …within this long, ms. */
  readonly latencyMaxMs: number;
  /** Quiet time after which a burst's missing deliveries count as lost, ms. */
  readonly idleMs: number;
  /** Bound on the three cells of one guarantee, ms. */
  readonly timeoutMs: number;
}

export const DEFAULT_COST_PLAN: CostPlan = {
  publishers: 2,
  subscribers: 2,
  payloadBytes: 128,
  runs: 3,
  maxBurstMs: 500,
  maxMessages: 100_000,
  window: 100,
  prefetch: 1000,
  latencyWarmup: 100,
  latencySamples: 2_000,
  latencyMaxMs: 500,
  idleMs: 500,
  timeoutMs: 45_000,
};

/** One row of the ordering cost table: a guarantee × an order. */
export interface OrderingCostRow {
  readonly qos: Qos;
  readonly order: Ordering;
  /** Deliveries per second, first publish to last delivery, median of the measured bursts (each message counts once per subscriber). */
  readonly rate?: number;
  readonly runRates?: readonly number[];
  /** Round trip publish → handler with one message in flight, µs: median and 99th percentile over every subscriber's deliveries. */
  readonly p50Us?: number;
  readonly p99Us?: number;
  readonly latencySamples?: number;
  /** Publish → handler of every delivery of the measured bursts, 99th percentile, ms (queueing included). */
  readonly burstP99Ms?: number;
  /** Per-publisher checks over the measured bursts. */
  readonly delivery?: DeliveryTotals;
  /** Causal and total checks over the measured bursts and the latency run (ordered cells; fifo messages carry no metadata). */
  readonly orderChecks?: OrderChecks;
  /** Server CPU per delivery over the measured bursts, µs. */
  readonly serverCpuUs?: number;
  /** This process's CPU (publishers, subscribers, SDK hold-back) per delivery over the measured bursts, µs. */
  readonly clientCpuUs?: number;
  readonly error?: string;
}

/** What the cost runs need of the broker under test. */
export interface CostBroker {
  connectSdk(): Promise<OrdoClient>;
  serverCpuMs(): Promise<number | undefined>;
}

/** Runs the three cells of `qos` on `broker` (started for it); never throws. */
export async function runOrderingCost(broker: CostBroker, qos: Qos, plan: CostPlan, log: (line: string) => void): Promise<OrderingCostRow[]> {
  const deadline = performance.now() + plan.timeoutMs;
  const cells: Cell[] = [];
  try {
    for (const order of ORDERINGS) cells.push(await Cell.open(broker, qos, order, plan));
    for (const cell of cells) await cell.warmUp(deadline);
    for (let run = 1; run <= plan.runs; run++) {
      log(`ordering ${qos}: burst ${run} of ${plan.runs} (fifo, causal, total)`);
      // In turn, starting with another cell each run.
      for (let i = 0; i < cells.length; i++) await cells[(i + run - 1) % cells.length].measure(run, deadline);
    }
    for (const cell of cells) await cell.measureLatency(plan.runs + 1, deadline);
    return cells.map((cell) => cell.row());
  } catch (err) {
    const error = describeError(err);
    return ORDERINGS.map((order) => cells.find((cell) => cell.order === order)?.row(error) ?? { qos, order, error });
  } finally {
    await Promise.allSettled(cells.map((cell) => cell.close()));
  }
}

/** One subscriber: its handler, its checks, per burst (0: warm-up, 1…runs: measured, runs + 1: latency). */
class OrderSink {
  readonly verifiers: DeliveryVerifier[];
  readonly handled: HandledOrder[];
  readonly completedAt: Array<number | undefined>;
  /** Publish → handler of each first receipt, ms, per burst. */
  readonly latenciesMs: number[][];
  /** Called on each first receipt (the latency run waits on it). */
  onArrival: ((publisherId: number, seq: number, at: number) => void) | undefined;
  stray = 0;

  constructor(
    bursts: number,
    /** When each (publisher id, sequence) was published, `performance.now()`; shared by the cell's sinks. */
    private readonly sentAt: Map<number, Float64Array>,
  ) {
    this.verifiers = Array.from({ length: bursts }, () => new DeliveryVerifier());
    this.handled = Array.from({ length: bursts }, () => new HandledOrder());
    this.completedAt = new Array<number | undefined>(bursts).fill(undefined);
    this.latenciesMs = Array.from({ length: bursts }, () => []);
  }

  readonly handle = (msg: Message<Uint8Array>): void => {
    const payload = msg.payload;
    const publisherId = readPublisherId(payload);
    const seq = readSequence(payload);
    const burst = Math.floor(publisherId / BURST_ID_STRIDE);
    const verifier = this.verifiers[burst];
    if (verifier === undefined) {
      this.stray++;
      return;
    }
    const before = verifier.distinct;
    verifier.record(publisherId, seq);
    if (verifier.distinct === before) return; // a duplicate, or unexpected
    const now = performance.now();
    const order = msg.order;
    this.handled[burst].record(msg.seq, order?.dep ?? -1, order?.scope);
    const sent = this.sentAt.get(publisherId)?.[seq];
    if (sent !== undefined && sent > 0) this.latenciesMs[burst].push(now - sent);
    if (this.completedAt[burst] === undefined && verifier.isComplete()) this.completedAt[burst] = now;
    this.onArrival?.(publisherId, seq, now);
  };
}

/** What one measured burst gave. */
interface BurstOutcome {
  readonly rate: number;
  readonly delivered: number;
  readonly serverCpuMs?: number;
  readonly clientCpuMs: number;
}

/** One order at one guarantee: its connections, topic, sinks and measurements. */
class Cell {
  private readonly sentAt = new Map<number, Float64Array>();
  private readonly sinks: OrderSink[];
  private lastRate = 0;
  private readonly outcomes: BurstOutcome[] = [];
  private latency: { p50Us: number; p99Us: number; samples: number } | undefined;
  private note: string | undefined;
  private failure: unknown;
  private readonly recordFailure = (err: unknown): void => {
    this.failure ??= err;
  };

  private constructor(
    private readonly broker: CostBroker,
    readonly qos: Qos,
    readonly order: Ordering,
    private readonly plan: CostPlan,
    private readonly publishers: OrdoClient[],
    private readonly subscribers: OrdoClient[],
    private readonly topic: string,
    private readonly publishOptions: PublishOptions | undefined,
  ) {
    this.sinks = subscribers.map(() => new OrderSink(plan.runs + 2, this.sentAt));
  }

  /** Connects and subscribes; closes what it opened when that fails. */
  static async open(broker: CostBroker, qos: Qos, order: Ordering, plan: CostPlan): Promise<Cell> {
    const opened: OrdoClient[] = [];
    try {
      for (let i = 0; i < plan.subscribers + plan.publishers; i++) opened.push(await broker.connectSdk());
      const topic = `bench/ordering/${qos}/${order}/${Math.random().toString(16).slice(2, 10)}`;
      // As an application writes them: no option where the default (at-most-once, fifo) is meant.
      const wanted = { ...(qos === 'at-most-once' ? {} : { qos }), ...(order === 'fifo' ? {} : { order }) };
      const publishOptions = Object.keys(wanted).length === 0 ? undefined : (wanted as PublishOptions);
      const cell = new Cell(broker, qos, order, plan, opened.slice(plan.subscribers), opened.slice(0, plan.subscribers), topic, publishOptions);
      await cell.subscribe();
      return cell;
    } catch (err) {
      await Promise.allSettled(opened.map((client) => client.close()));
      throw err;
    }
  }

  private async subscribe(): Promise<void> {
    const { MemoryDedupStore } = await import('../../client/index.js');
    for (let i = 0; i < this.subscribers.length; i++) {
      const dedup: DedupStore | undefined = this.qos === 'exactly-once' ? new MemoryDedupStore() : undefined;
      const options: SubscribeOptions = {
        ...(this.qos === 'at-most-once' ? {} : { qos: this.qos, prefetch: this.plan.prefetch }),
        ...(this.order === 'fifo' ? {} : { order: this.order }),
        ...(dedup === undefined ? {} : { dedup }),
      };
      await this.subscribers[i].subscribe<Uint8Array>(this.topic, this.sinks[i].handle, options);
    }
    await Promise.all(this.subscribers.map((client) => client.flush()));
  }

  async warmUp(deadline: number): Promise<void> {
    const started = performance.now();
    const { delivered, endedAt } = await this.burst(0, Math.min(this.plan.maxMessages, 5_000), Math.min(this.plan.maxBurstMs, 300), deadline);
    this.lastRate = perSecond(delivered, endedAt - started);
  }

  async measure(burst: number, deadline: number): Promise<void> {
    if (this.note !== undefined) return;
    const serverBefore = await this.broker.serverCpuMs();
    const clientBefore = process.cpuUsage();
    const startedAt = performance.now();
    const { delivered, endedAt } = await this.burst(burst, this.burstSize(), this.plan.maxBurstMs, deadline);
    const rate = perSecond(delivered, endedAt - startedAt);
    const client = process.cpuUsage(clientBefore);
    const serverAfter = await this.broker.serverCpuMs();
    this.outcomes.push({
      rate,
      delivered,
      clientCpuMs: (client.user + client.system) / 1000,
      ...(serverBefore === undefined || serverAfter === undefined ? {} : { serverCpuMs: serverAfter - serverBefore }),
    });
    this.lastRate = rate;
    // Acks and completes of this burst reach the broker before the next cell's burst.
    await settlesBefore(Promise.all(this.subscribers.map((client) => client.flush())), deadline);
  }

  /** Messages per publisher that fill `maxBurstMs` at the last rate (with headroom when confirms pace the publishers). */
  private burstSize(): number {
    const headroom = this.qos === 'at-most-once' ? 1 : 2;
    const perPublisher = this.lastRate / this.plan.subscribers / this.plan.publishers;
    return Math.max(1_000, Math.min(this.plan.maxMessages, Math.ceil((perPublisher * this.plan.maxBurstMs * headroom) / 1000)));
  }

  /** Publishes burst `burst` and waits for its deliveries; returns how many distinct deliveries, and when the last came. */
  private async burst(burst: number, messages: number, maxMs: number, deadline: number): Promise<{ delivered: number; endedAt: number }> {
    const ids = this.publishers.map((_, p) => burst * BURST_ID_STRIDE + p);
    const payloads = ids.map((id) => makePayloads(id, messages, this.plan.payloadBytes));
    const verifiers = this.sinks.map((sink) => sink.verifiers[burst]);
    for (const id of ids) this.sentAt.set(id, new Float64Array(messages));
    for (const verifier of verifiers) for (const id of ids) verifier.expect(id, messages);
    const startedAt = performance.now();
    const stopAt = Math.min(deadline, startedAt + maxMs);
    const sent = await Promise.all(
      this.publishers.map((client, p) => this.publishAll(client, payloads[p], this.sentAt.get(ids[p])!, stopAt)),
    );
    for (const verifier of verifiers) sent.forEach((count, p) => verifier.expect(ids[p], count));
    if (!(await settlesBefore(Promise.all(this.publishers.map((client) => client.flush())), deadline))) {
      this.note ??= `timed out after ${this.plan.timeoutMs} ms flushing publishers`;
    }
    const lastSeen = await awaitDeliveries(verifiers, deadline, this.plan.idleMs);
    const completed = this.sinks.map((sink) => sink.completedAt[burst]);
    const endedAt = completed.every((at) => at !== undefined) ? Math.max(startedAt, ...(completed as number[])) : lastSeen;
    if (this.failure !== undefined) this.note ??= `publish failed: ${describeError(this.failure)}`;
    if (performance.now() >= deadline && !verifiers.every((v) => v.isComplete())) this.note ??= `timed out after ${this.plan.timeoutMs} ms`;
    return { delivered: verifiers.reduce((sum, v) => sum + v.distinct, 0), endedAt };
  }

  /** One publisher's burst: as fast as the SDK takes them (at-most-once) or `window` in flight (confirmed). */
  private async publishAll(client: OrdoClient, payloads: readonly Uint8Array[], sentAt: Float64Array, stopAt: number): Promise<number> {
    if (this.qos !== 'at-most-once') return this.publishWindowed(client, payloads, sentAt, stopAt);
    for (let seq = 0; seq < payloads.length; ) {
      sentAt[seq] = performance.now();
      const done = client.publish(this.topic, payloads[seq], this.publishOptions);
      seq++;
      if (!client.isWritable) {
        // Above the SDK's high-water mark: wait until the socket drained.
        if (!(await settlesBefore(done, stopAt))) return seq;
      } else {
        done.catch(this.recordFailure);
      }
      if (seq % 1000 === 0) {
        await yieldToEventLoop();
        if (performance.now() >= stopAt) return seq;
      }
    }
    return payloads.length;
  }

  private async publishWindowed(client: OrdoClient, payloads: readonly Uint8Array[], sentAt: Float64Array, stopAt: number): Promise<number> {
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < payloads.length && this.failure === undefined && performance.now() < stopAt) {
        const seq = next++;
        sentAt[seq] = performance.now();
        await client.publish(this.topic, payloads[seq], this.publishOptions).catch(this.recordFailure);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.plan.window, payloads.length) }, lane));
    return next;
  }

  /** One message in flight: publish, wait for every subscriber's handler (and the confirm), again. */
  async measureLatency(burst: number, deadline: number): Promise<void> {
    if (this.note !== undefined) return;
    const publisherId = burst * BURST_ID_STRIDE;
    const total = this.plan.latencyWarmup + this.plan.latencySamples;
    const payloads = makePayloads(publisherId, total, this.plan.payloadBytes);
    for (const sink of this.sinks) sink.verifiers[burst].expect(publisherId, total);
    const samples: number[] = [];
    let awaited = -1;
    let sentAt = 0;
    let arrivals = 0;
    let arrived: (() => void) | undefined;
    for (const sink of this.sinks) {
      sink.onArrival = (id, seq, at) => {
        if (id !== publisherId || seq !== awaited) return;
        if (seq >= this.plan.latencyWarmup) samples.push((at - sentAt) * 1000);
        if (++arrivals === this.sinks.length) arrived?.();
      };
    }
    const publisher = this.publishers[0];
    let published = 0;
    let stopAt = deadline;
    try {
      for (let seq = 0; seq < total && performance.now() < stopAt; seq++) {
        if (seq === this.plan.latencyWarmup) stopAt = Math.min(deadline, performance.now() + this.plan.latencyMaxMs);
        awaited = seq;
        arrivals = 0;
        const back = new Promise<void>((resolve) => (arrived = resolve));
        sentAt = performance.now();
        const done = publisher.publish(this.topic, payloads[seq], this.publishOptions);
        published++;
        const isBack = await settlesBefore(Promise.all([back, done]), Math.min(deadline, performance.now() + 1_000));
        if (!isBack) break; // lost: the verifier counts it
      }
    } finally {
      for (const sink of this.sinks) sink.onArrival = undefined;
    }
    for (const sink of this.sinks) sink.verifiers[burst].expect(publisherId, published);
    const sorted = Float64Array.from(samples).sort();
    this.latency = { p50Us: percentile(sorted, 0.5), p99Us: percentile(sorted, 0.99), samples: sorted.length };
  }

  row(error?: string): OrderingCostRow {
    const measured = this.outcomes.length;
    const bursts = (from: number, to: number) => this.sinks.flatMap((sink) => sink.verifiers.slice(from, to).map((v) => v.counts()));
    const delivery = measured === 0 ? undefined : sumDeliveryCounts(bursts(1, 1 + measured));
    const checkedBursts = Array.from({ length: this.plan.runs + 1 }, (_, i) => i + 1);
    const checks = checkedBursts.map((burst) => checkOrder(this.sinks.map((sink) => sink.handled[burst])));
    const latenciesMs = Float64Array.from(this.sinks.flatMap((sink) => sink.latenciesMs.slice(1, 1 + measured).flat())).sort();
    const delivered = this.outcomes.reduce((sum, o) => sum + o.delivered, 0);
    const serverCpuMs = this.outcomes.every((o) => o.serverCpuMs !== undefined) ? this.outcomes.reduce((sum, o) => sum + o.serverCpuMs!, 0) : undefined;
    const clientCpuMs = this.outcomes.reduce((sum, o) => sum + o.clientCpuMs, 0);
    const stray = this.sinks.reduce((sum, sink) => sum + sink.stray, 0);
    const note = error ?? this.note;
    return {
      qos: this.qos,
      order: this.order,
      ...(measured === 0 ? {} : { rate: median(this.outcomes.map((o) => o.rate)), runRates: this.outcomes.map((o) => o.rate) }),
      ...(this.latency === undefined || this.latency.samples === 0 ? {} : { p50Us: this.latency.p50Us, p99Us: this.latency.p99Us, latencySamples: this.latency.samples }),
      ...(latenciesMs.length === 0 ? {} : { burstP99Ms: percentile(latenciesMs, 0.99) }),
      ...(delivery === undefined ? {} : { delivery: { ...delivery, unexpected: delivery.unexpected + stray } }),
      ...(this.order === 'fifo' ? {} : { orderChecks: sumChecks(checks) }),
      ...(delivered === 0 ? {} : { clientCpuUs: (clientCpuMs * 1000) / delivered }),
      ...(delivered === 0 || serverCpuMs === undefined ? {} : { serverCpuUs: (serverCpuMs * 1000) / delivered }),
      ...(note === undefined ? {} : { error: note }),
    };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.subscribers, ...this.publishers].map((client) => client.close()));
  }
}

function sumChecks(checks: readonly OrderChecks[]): OrderChecks {
  const sum = { causalViolations: 0, totalInversions: 0, totalDisagreements: 0, checked: 0 };
  for (const c of checks) {
    sum.causalViolations += c.causalViolations;
    sum.totalInversions += c.totalInversions;
    sum.totalDisagreements += c.totalDisagreements;
    sum.checked += c.checked;
  }
  return sum;
}
