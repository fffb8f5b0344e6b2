/**
 * How big the ordering metadata of a message is, with 10, 100 and 1,000
 * publishers, measured on the wire: N SDK clients in a ring, each
 * subscribed (with the run's `order`) to its predecessor's topic; `tokens`
 * tokens travel once round the ring, each client publishing (causal or
 * total, at-most-once) the next message of a token as soon as it handled
 * its predecessor's, so every publish has others' messages in its causal
 * past (after one lap, every publisher's). A tap on the SDK's WebSockets
 * (wire-tap.ts) measures each MESSAGE's `order` element and each PUBLISH's
 * `after` and `order` options in the bytes as they travelled.
 *
 * Beside it, computed (not sent): the vector clock the same messages would
 * carry in a vector-clock design, as a MessagePack map of publisher number →
 * counter, both dense (every publisher) and sparse (only the publishers in
 * the message's causal past), from the same causal history.
 */
import type { OrdoClient } from '../../client/index.js';
import { readPublisherId, readSequence, writeHeader } from '../payload.js';
import { describeError, withTimeout } from '../timing.js';
import { settlesBefore } from '../workloads/connections.js';
import { installWireTap } from './wire-tap.js';
import { orderBytesOfFrame, vectorClockBytes } from './wire-bytes.js';

/** The metadata runs; {@link DEFAULT_METADATA_PLAN} by default. */
export interface MetadataPlan {
  readonly publisherCounts: readonly number[];
  /** Tokens travelling round the ring at once (at most one per publisher). */
  readonly tokens: number;
  readonly orders: readonly MetadataOrder[];
  /** Connections opened at once. */
  readonly connectConcurrency: number;
  /** Bound on one ring run, ms. */
  readonly timeoutMs: number;
}

export type MetadataOrder = 'causal' | 'total';

export const DEFAULT_METADATA_PLAN: MetadataPlan = {
  publisherCounts: [10, 100, 1_000],
  tokens: 10,
  orders: ['causal', 'total'],
  connectConcurrency: 100,
  timeoutMs: 30_000,
};

/**
 * The runs start at this message id or above, so `dep` and `after` have the
 * same encoding (uint 32, 5 bytes, up to 2^32 − 1) for every number of
 * publishers, as on any broker that has carried 65,536 messages: their size
 * depends on the id, never on the publishers.
 */
export const MIN_MESSAGE_ID = 0x1_0000;

/** Count, mean and extremes of byte sizes. */
export interface ByteStats {
  readonly count: number;
  readonly avg: number;
  readonly min: number;
  readonly max: number;
}

/** One ring run: `publishers` clients, one order. */
export interface MetadataRow {
  readonly order: MetadataOrder;
  readonly publishers: number;
  /** Messages published (tokens × publishers). */
  readonly messages: number;
  /** MESSAGE's `order` element ({dep} or {dep, scope}), bytes on the wire. */
  readonly messageOrder?: ByteStats;
  /** The whole MESSAGE operation of the same messages (16-byte payloads), for scale. */
  readonly messageOp?: ByteStats;
  /** PUBLISH's `after` option, key and value, bytes on the wire. */
  readonly publishAfter?: ByteStats;
  /** PUBLISH's `order` option, key and value, bytes on the wire. */
  readonly publishOrder?: ByteStats;
  /** Computed: a dense vector clock (every publisher) as a MessagePack map publisher number → counter. */
  readonly vectorClock?: ByteStats;
  /** Computed: a sparse vector clock (publishers in the causal past only), the same encoding. */
  readonly vectorClockSparse?: ByteStats;
  /** The lowest and highest message id delivered: `dep` is a MessagePack uint, 1 to 9 bytes by its size, whatever the publishers. */
  readonly lowestSeq?: number;
  readonly highestSeq?: number;
  readonly durationMs?: number;
  readonly error?: string;
}

/** What the metadata runs need of the broker under test. */
export interface MetadataBroker {
  connectSdk(): Promise<OrdoClient>;
}

/** Runs every publisher count and order of `plan`; never throws. */
export async function runOrderingMetadata(broker: MetadataBroker, plan: MetadataPlan, log: (line: string) => void): Promise<MetadataRow[]> {
  const rows: MetadataRow[] = [];
  try {
    await advanceIds(broker, MIN_MESSAGE_ID);
  } catch (err) {
    const error = `advancing message ids: ${describeError(err)}`;
    return plan.publisherCounts.flatMap((publishers) => plan.orders.map((order) => ({ order, publishers, messages: 0, error })));
  }
  for (const publishers of plan.publisherCounts) {
    log(`ordering metadata: ${publishers} publishers`);
    let clients: OrdoClient[] = [];
    try {
      clients = await connectMany(broker, publishers, plan.connectConcurrency);
      for (const order of plan.orders) rows.push(await runRing(clients, order, plan));
    } catch (err) {
      const error = describeError(err);
      for (const order of plan.orders) {
        if (!rows.some((r) => r.publishers === publishers && r.order === order)) rows.push({ order, publishers, messages: 0, error });
      }
    } finally {
      await closeMany(clients, plan.connectConcurrency);
    }
  }
  return rows;
}

/** Running count, sum and extremes. */
export class ByteTally {
  private count = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;

  add(bytes: number): void {
    this.count++;
    this.sum += bytes;
    if (bytes < this.min) this.min = bytes;
    if (bytes > this.max) this.max = bytes;
  }

  addAll(sizes: readonly number[]): void {
    for (const bytes of sizes) this.add(bytes);
  }

  stats(): ByteStats | undefined {
    return this.count === 0 ? undefined : { count: this.count, avg: this.sum / this.count, min: this.min, max: this.max };
  }
}

/** One lap of `plan.tokens` tokens round the ring of `clients`, with `order`. */
async function runRing(clients: readonly OrdoClient[], order: MetadataOrder, plan: MetadataPlan): Promise<MetadataRow> {
  const n = clients.length;
  const tokens = Math.min(n, plan.tokens);
  const expected = tokens * n;
  const prefix = `bench/ordering-metadata/${order}/${n}/${Math.random().toString(16).slice(2, 10)}`;
  const topicOf = (i: number): string => `${prefix}/${i}`;
  const tallies = {
    messageOrder: new ByteTally(), messageOp: new ByteTally(), publishAfter: new ByteTally(), publishOrder: new ByteTally(),
    vectorClock: new ByteTally(), vectorClockSparse: new ByteTally(),
  };
  // The vector clock each publisher would keep, and the one each token's message in flight would carry.
  const clocks = Array.from({ length: n }, () => new Uint32Array(n));
  const carried = new Array<Uint32Array | undefined>(tokens);
  let received = 0;
  let lowestSeq = Infinity;
  let highestSeq = 0;
  let failure: unknown;
  const recordFailure = (err: unknown): void => {
    failure ??= err;
  };
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const publish = (i: number, token: number, hop: number): void => {
    const clock = clocks[i];
    clock[i]++;
    tallies.vectorClock.add(vectorClockBytes(clock, true));
    tallies.vectorClockSparse.add(vectorClockBytes(clock, false));
    carried[token] = clock.slice();
    const payload = new Uint8Array(16);
    writeHeader(payload, token, hop);
    clients[i].publish(topicOf(i), payload, { order }).catch(recordFailure);
  };

  await Promise.all(clients.map((client, i) => client.subscribe<Uint8Array>(topicOf((i + n - 1) % n), (msg) => {
    const token = readPublisherId(msg.payload);
    const hop = readSequence(msg.payload);
    lowestSeq = Math.min(lowestSeq, msg.seq);
    highestSeq = Math.max(highestSeq, msg.seq);
    const clock = clocks[i];
    const theirs = carried[token];
    if (theirs !== undefined) for (let k = 0; k < n; k++) if (theirs[k] > clock[k]) clock[k] = theirs[k];
    if (hop + 1 < n) publish(i, token, hop + 1);
    if (++received === expected) finish();
  }, { order })));
  await Promise.all(clients.map((client) => client.flush()));

  const removeTap = installWireTap({
    sent: (frame) => {
      try {
        const found = orderBytesOfFrame(frame);
        tallies.publishAfter.addAll(found.publishAfter);
        tallies.publishOrder.addAll(found.publishOrder);
      } catch (err) {
        recordFailure(err);
      }
    },
    received: (frame) => {
      try {
        const found = orderBytesOfFrame(frame);
        tallies.messageOrder.addAll(found.messageOrder);
        tallies.messageOp.addAll(found.messageOp);
      } catch (err) {
        recordFailure(err);
      }
    },
  });
  const startedAt = performance.now();
  let isDone: boolean;
  try {
    for (let t = 0; t < tokens; t++) publish(Math.floor((t * n) / tokens), t, 0);
    isDone = await settlesBefore(finished, performance.now() + plan.timeoutMs);
  } finally {
    removeTap();
  }
  const durationMs = performance.now() - startedAt;
  const error = failure !== undefined ? describeError(failure) : isDone ? undefined : `timed out after ${plan.timeoutMs} ms: ${received} of ${expected} delivered`;
  const stats = Object.fromEntries(Object.entries(tallies).flatMap(([key, tally]) => {
    const s = tally.stats();
    return s === undefined ? [] : [[key, s]];
  })) as Partial<Record<keyof typeof tallies, ByteStats>>;
  const seqs = received === 0 ? {} : { lowestSeq, highestSeq };
  return { order, publishers: n, messages: expected, ...stats, ...seqs, durationMs, ...(error === undefined ? {} : { error }) };
}

/**
 * Makes the broker's next message id at least `minId`: publishes to a topic
 * nobody subscribes to (each publish takes an id) after reading the current
 * id from a message of its own.
 */
async function advanceIds(broker: MetadataBroker, minId: number): Promise<void> {
  const client = await broker.connectSdk();
  try {
    const topic = `bench/ordering-metadata/ids/${Math.random().toString(16).slice(2, 10)}`;
    let seen: (seq: number) => void = () => undefined;
    const current = new Promise<number>((resolve) => (seen = resolve));
    await client.subscribe(topic, (msg) => seen(msg.seq));
    await client.publish(topic, new Uint8Array(8));
    const payload = new Uint8Array(8);
    for (let id = await withTimeout(current, 5_000, 'a message to itself'); id < minId; id++) {
      const done = client.publish(`${topic}/unrouted`, payload);
      if (!client.isWritable) await done;
    }
    await client.flush();
  } finally {
    await client.close();
  }
}

/** Opens `count` SDK connections, `concurrency` at a time; on a failure closes what opened and throws. */
async function connectMany(broker: MetadataBroker, count: number, concurrency: number): Promise<OrdoClient[]> {
  const clients: OrdoClient[] = [];
  for (let i = 0; i < count; i += concurrency) {
    const batch = await Promise.allSettled(Array.from({ length: Math.min(concurrency, count - i) }, () => broker.connectSdk()));
    for (const result of batch) if (result.status === 'fulfilled') clients.push(result.value);
    const failed = batch.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed !== undefined) {
      await closeMany(clients, concurrency);
      throw failed.reason;
    }
  }
  return clients;
}

async function closeMany(clients: readonly OrdoClient[], concurrency: number): Promise<void> {
  for (let i = 0; i < clients.length; i += concurrency) {
    await Promise.allSettled(clients.slice(i, i + concurrency).map((client) => client.close()));
  }
}
