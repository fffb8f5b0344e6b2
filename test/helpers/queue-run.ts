/**
 * The QueueState property test's machinery: random commands, and a runner
 * that drives a QueueState (plus its dead-letter queue) and the naive
 * QueueModel side by side, applies every op to a StoreView, and records how
 * each message left the queue.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { expect } from 'vitest';
import { QueueState, resolveQueueSettings, type QueueSettings, type ReturnedEntry } from '../../broker/queues/index.js';
import type { EntryRecord, StoreOp } from '../../broker/store/index.js';
import { QueueModel } from './queue-model.js';
import { StoreView, sortRecords } from './queue-store-view.js';

/** Whose delivery an ack, nack or extend names: the holder's, another consumer's, or none at all. */
type Target = 'holder' | 'other' | 'unknown';

export type Command =
  | { readonly k: 'enqueue'; readonly priority: number; readonly delay: number; readonly ttl: number | null; readonly dt: number }
  | { readonly k: 'deliver'; readonly consumer: number; readonly dt: number }
  | { readonly k: 'ack'; readonly pick: number; readonly target: Target; readonly dt: number }
  | {
    readonly k: 'nack'; readonly pick: number; readonly target: Target; readonly requeue: boolean;
    readonly delay: number; readonly dt: number;
  }
  | { readonly k: 'extend'; readonly pick: number; readonly target: Target; readonly ms: number; readonly dt: number }
  | { readonly k: 'advance'; readonly dt: number }
  | { readonly k: 'release'; readonly consumer: number; readonly dt: number }
  | { readonly k: 'purge'; readonly dt: number }
  | { readonly k: 'peek'; readonly n: number; readonly dt: number }
  | { readonly k: 'restart'; readonly dt: number };

/** The clock only moves forward, often not at all between two commands. */
const dt = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 30 }));
const target = fc.constantFrom<Target>('holder', 'holder', 'holder', 'other', 'unknown');
const pick = fc.nat({ max: 10 });
const consumer = fc.nat({ max: 2 });

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('enqueue' as const), priority: fc.integer({ min: 0, max: 9 }),
      delay: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 60 })),
      ttl: fc.option(fc.integer({ min: 0, max: 300 }), { nil: null, freq: 2 }), dt,
    }),
  },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('deliver' as const), consumer, dt }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('ack' as const), pick, target, dt }) },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('nack' as const), pick, target, requeue: fc.boolean(),
      delay: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 })), dt,
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('extend' as const), pick, target, ms: fc.nat({ max: 60 }), dt }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('advance' as const), dt }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('release' as const), consumer, dt }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('purge' as const), dt }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('peek' as const), n: fc.nat({ max: 6 }), dt }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('restart' as const), dt }) },
);

/** Runs of 20 to 150 commands: long enough for queues to fill, messages to come back and dead-letter. */
export const commandsArb = fc.array(commandArb, { minLength: 20, maxLength: 150, size: 'max' });

export const settingsArb: fc.Arbitrary<QueueSettings> = fc.record({
  maxLength: fc.integer({ min: 1, max: 8 }),
  overflow: fc.constantFrom('drop-oldest' as const, 'reject-publish' as const),
  messageTtlMs: fc.option(fc.integer({ min: 1, max: 300 }), { nil: null, freq: 2 }),
  maxDeliveries: fc.integer({ min: 1, max: 4 }),
  deadLetterQueue: fc.constantFrom(null, 'q.dead'),
  ackDeadlineMs: fc.integer({ min: 1, max: 60 }),
});

export type Fate = 'acked' | 'dead-lettered' | 'dropped' | 'expired' | 'purged';

/** Drives a QueueState and a QueueModel with the same commands and checks them against each other. */
export class QueueRun {
  static readonly T0 = 1_700_000_000_000;
  readonly name = 'q';
  readonly store = new StoreView();
  /** How each message left the queue; a second ending fails the run. */
  readonly fates = new Map<number, Fate>();
  /** Every message the queue accepted. */
  readonly accepted = new Set<number>();
  readonly model: QueueModel;
  state: QueueState;
  dlq: QueueState | undefined;
  now = QueueRun.T0;
  private nextId = 1;

  constructor(private readonly settings: QueueSettings) {
    this.state = new QueueState(this.name, settings);
    this.model = new QueueModel(resolveQueueSettings(this.name, settings));
    const dlqName = this.state.settings.deadLetterQueue;
    this.dlq = dlqName === null ? undefined : new QueueState(dlqName, { deadLetterQueue: null });
  }

  step(c: Command): void {
    this.now += c.dt;
    const { state, model, now } = this;
    switch (c.k) {
      case 'enqueue': {
        const id = this.nextId++;
        const availableAt = c.delay > 0 ? now + c.delay : undefined;
        const expiresAt = c.ttl === null ? null : now + c.ttl;
        const r = state.enqueue({ messageId: id, priority: c.priority, availableAt, expiresAt }, now);
        const m = model.enqueue(id, c.priority, availableAt, expiresAt, now);
        same({ accepted: r.accepted, dropped: r.droppedMessageIds, expired: r.expiredMessageIds }, m, 'enqueue');
        this.commit(r.ops);
        if (r.accepted) this.accepted.add(id);
        this.end(r.droppedMessageIds, 'dropped');
        this.end(r.expiredMessageIds, 'expired');
        break;
      }
      case 'deliver': {
        const r = state.deliver(`c${c.consumer}`, now);
        const m = model.deliver(`c${c.consumer}`, now);
        same(r.delivery, m.delivery, 'delivery');
        same([r.expiredMessageIds, r.deadLettered.map((e) => e.messageId)], [m.expired, m.deadLettered], 'deliver removals');
        this.commit(r.ops);
        this.end(r.expiredMessageIds, 'expired');
        this.deadLetter(r.deadLettered);
        break;
      }
      case 'ack': {
        const [id, holder] = this.choose(c.pick, c.target);
        const r = state.ack(id, holder);
        same(r === 'ERR_NOT_FOUND' ? r : 'ok', model.ack(id, holder) ? 'ok' : 'ERR_NOT_FOUND', 'ack');
        if (r !== 'ERR_NOT_FOUND') {
          this.commit(r);
          this.end([id], 'acked');
        }
        break;
      }
      case 'nack': {
        const [id, holder] = this.choose(c.pick, c.target);
        const r = state.nack(id, holder, { requeue: c.requeue, delayMs: c.delay }, now);
        const m = model.nack(id, holder, c.requeue, c.delay, now);
        same(typeof r === 'string' ? r : r.outcome, m, 'nack');
        if (typeof r === 'string') break;
        this.commit(r.ops);
        if (r.outcome === 'dead-lettered') this.deadLetter([r.entry]);
        break;
      }
      case 'extend': {
        const [id, holder] = this.choose(c.pick, c.target);
        const r = state.extendDeadline(id, holder, c.ms, now);
        same(typeof r === 'string' ? r : r.deadline, model.extend(id, holder, c.ms, now), 'extendDeadline');
        break;
      }
      case 'advance': {
        const r = state.advance(now);
        const m = model.advance(now);
        same([plainReturns(r.returned), r.expiredMessageIds], [m.returned, m.expired], 'advance');
        this.commit(r.ops);
        this.returned(r.returned);
        this.end(r.expiredMessageIds, 'expired');
        // Nothing is due any more: the broker's next timer is in the future.
        if (!((state.nextWakeAt() ?? Infinity) > now)) expect(state.nextWakeAt(), 'nextWakeAt after advance').toBeGreaterThan(now);
        break;
      }
      case 'release': {
        const r = state.releaseConsumer(`c${c.consumer}`, now);
        same(plainReturns(r.returned), model.release(`c${c.consumer}`, now), 'releaseConsumer');
        this.commit(r.ops);
        this.returned(r.returned);
        break;
      }
      case 'purge': {
        const r = state.purge();
        same(r.purgedMessageIds, model.purge(), 'purge');
        this.commit(r.ops);
        this.end(r.purgedMessageIds, 'purged');
        break;
      }
      case 'peek':
        same(state.peek(c.n, now).map((e) => e.messageId), model.peek(c.n, now), 'peek');
        break;
      case 'restart':
        this.state = QueueState.recover(this.name, this.settings, this.store.entries(this.name), now);
        if (this.dlq !== undefined) {
          this.dlq = QueueState.recover(this.dlq.name, { deadLetterQueue: null }, this.store.entries(this.dlq.name), now);
        }
        model.restart(now);
        break;
    }
    this.check();
  }

  /** Same counts and wake time as the model; the ops so far leave the store holding exactly what the states hold. */
  check(): void {
    same(this.state.counts(this.now), this.model.counts(this.now), 'counts');
    same(this.state.nextWakeAt(), this.model.nextWakeAt(), 'nextWakeAt');
    same(sortRecords(this.state.records()), this.store.entries(this.name), 'stored entries');
    if (this.dlq !== undefined) same(sortRecords(this.dlq.records()), this.store.entries(this.dlq.name), 'stored dead letters');
  }

  /** Lets time pass until everything is due, gives back every delivery, then consumes and acks all that is left. */
  drain(): void {
    this.step({ k: 'advance', dt: 1_000_000 });
    for (let c = 0; c <= 2; c++) this.step({ k: 'release', consumer: c, dt: 0 });
    for (let guard = 0; this.model.waiting.length + this.model.inFlight.length > 0; guard++) {
      if (guard > 10_000) throw new Error('drain does not end');
      this.step({ k: 'deliver', consumer: 0, dt: 0 });
      if (this.model.inFlight.length > 0) this.step({ k: 'ack', pick: 0, target: 'holder', dt: 0 });
    }
  }

  /** The (message id, consumer) an ack, nack or extend names. */
  private choose(index: number, to: Target): [number, string] {
    const held = this.model.inFlight;
    if (to === 'unknown' || held.length === 0) return [this.nextId + 1_000, 'c0'];
    const entry = held[index % held.length];
    return [entry.id, to === 'holder' ? entry.consumer! : `${entry.consumer}-other`];
  }

  private commit(ops: readonly StoreOp[]): void {
    this.store.apply(ops);
  }

  private end(ids: readonly number[], fate: Fate): void {
    for (const id of ids) {
      if (this.fates.has(id)) expect.fail(`message ${id} ended twice: ${this.fates.get(id)}, then ${fate}`);
      if (!this.accepted.has(id)) expect.fail(`message ${id} ended (${fate}) but was never accepted`);
      this.fates.set(id, fate);
    }
  }

  /** Dead letters reach the dead-letter queue after the source's ops, as the broker must commit them. */
  private deadLetter(records: readonly EntryRecord[]): void {
    this.end(records.map((r) => r.messageId), 'dead-lettered');
    for (const record of records) if (this.dlq !== undefined) this.commit(this.dlq.acceptDeadLetter(record, this.now).ops);
  }

  private returned(returned: readonly ReturnedEntry[]): void {
    this.deadLetter(returned.filter((r) => r.outcome === 'dead-lettered').map((r) => r.entry));
  }
}

/** expect(actual).toEqual(expected), with a fast path: expect() is the run's main cost when called on every step. */
function same(actual: unknown, expected: unknown, what: string): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual, what).toEqual(expected);
}

function plainReturns(returned: readonly ReturnedEntry[]) {
  return returned.map((r) => ({ id: r.entry.messageId, consumer: r.consumerId, outcome: r.outcome }));
}
