import type { Router } from '../delivery/index.js';
import { OrdoError } from '../errors/index.js';
import type { QueueInfo } from '../protocol/index.js';
import { QueueState, parseQueueSettings, resolveQueueSettings, type QueueSettings } from '../queues/index.js';
import type { EntryRecord, QueueRecord, RecoveredState, StoredMessage, StoreOp } from '../store/index.js';
import { DurableQueue, type Binding, type QueueHost } from './durable-queue.js';
import type { MessageCache } from './message-cache.js';
import type { Persister } from './persister.js';
import { QueueSubscription } from './queue-subscription.js';
import { QueueCounters } from '../observability/counters.js';

/** The size a delivery is taken to have when its message is not in memory (after a restart), bytes. */
const UNKNOWN_SIZE = 4096;

/** The key of QueueRecord.settings that holds a subscription queue's binding (the rest are QueueSettings). */
const BINDING_KEY = 'binding';

/**
 * Every durable queue of the broker, by name: created explicitly, on first
 * use, or behind an at-least-once subscription (then also in the router).
 * Hands dead letters from queue to queue, creating a dead-letter queue that
 * was deleted rather than losing a message.
 */
export class QueueRegistry implements QueueHost {
  /** What every queue did, for /metrics (QueueHost.counters). */
  readonly counters = new QueueCounters();
  private readonly queues = new Map<string, DurableQueue>();
  private readonly subscriptions = new Map<string, QueueSubscription>();

  constructor(
    private readonly persister: Persister,
    private readonly cache: MessageCache,
    private readonly router: Router,
    /** Most queues; creating more is refused with ERR_LIMIT (queues recovered at start and dead-letter queues re-made for a dead letter are not refused). */
    private readonly maxQueues = Infinity,
  ) {}

  get(name: string): DurableQueue | undefined {
    return this.queues.get(name);
  }

  /** How many queues there are. */
  get size(): number {
    return this.queues.size;
  }

  list(): DurableQueue[] {
    return [...this.queues.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Every queue's info, by name, with its dead-letter queue's size and, for
   * a dead-letter queue, whom it collects for.
   */
  infos(now: number): QueueInfo[] {
    const queues = this.list();
    const sources = deadLetterSources(queues);
    return queues.map((queue) => this.withDeadLetters(queue.info(now), sources, now));
  }

  /** One queue's info, as infos() shows it. */
  info(queue: DurableQueue, now: number): QueueInfo {
    return this.withDeadLetters(queue.info(now), deadLetterSources(this.list()), now);
  }

  /** The queues whose dead letters go to queue `name`, by name. */
  sourcesOf(name: string): string[] {
    return deadLetterSources(this.list()).get(name) ?? [];
  }

  /**
   * Moves up to `max` ready messages of queue `from`, in delivery order, to
   * queue `to` (replayTarget() names the one a dead-letter queue collects
   * for) as dead letters move: priority and message kept, delivery count 0,
   * no expiry [protocol 2.14]. Never past the target's maxLength: it moves
   * what fits, and ERR_LIMIT when nothing does. Ops added to `batch`.
   */
  move(from: string, targetName: string, max: number, batch: StoreOp[]): { moved: number; remaining: number } {
    const source = this.queues.get(from);
    if (source === undefined) throw new OrdoError('ERR_NOT_FOUND', `no queue ${from}`);
    if (targetName === from) throw new OrdoError('ERR_BAD_REQUEST', `queue ${from} cannot move messages to itself`);
    const target = this.queues.get(targetName);
    if (target === undefined) throw new OrdoError('ERR_NOT_FOUND', `no queue ${targetName} to move messages to`);
    const now = Date.now();
    const room = target.state.room;
    if (room === 0 && source.state.counts(now).ready > 0) {
      throw new OrdoError('ERR_LIMIT', `queue ${targetName} is full (maxLength ${target.state.settings.maxLength}): nothing was moved`);
    }
    const moved = source.moveReady(target, Math.min(max, room), now, batch);
    return { moved, remaining: source.state.counts(now).ready };
  }

  /** The queue the dead-letter queue `name` collects for: exactly one must (ERR_BAD_REQUEST otherwise). */
  replayTarget(name: string): string {
    const sources = this.sourcesOf(name);
    if (sources.length === 1) return sources[0];
    if (sources.length === 0) throw new OrdoError('ERR_BAD_REQUEST', `queue ${name} is no queue's dead-letter queue: name the queue to move its messages to`);
    throw new OrdoError('ERR_BAD_REQUEST', `queue ${name} collects the dead letters of ${sources.join(', ')}: name the queue to move its messages to`);
  }

  private withDeadLetters(info: QueueInfo, sources: ReadonlyMap<string, string[]>, now: number): QueueInfo {
    const dlq = info.deadLetterQueue === undefined ? undefined : this.queues.get(info.deadLetterQueue);
    const collectsFor = sources.get(info.name)?.[0];
    return {
      ...info,
      deadLetters: dlq === undefined ? 0 : dlq.state.counts(now).total,
      ...(collectsFor !== undefined && { deadLetterFor: collectsFor }),
    };
  }

  /**
   * Rebuilds the queues of a start, everything waiting, and returns the ops
   * that delete what outlived its owner: the queues of non-durable
   * subscriptions, whose connections died with the old process.
   */
  recover(state: RecoveredState, now: number): StoreOp[] {
    const byQueue = new Map<string, EntryRecord[]>();
    for (const entry of state.entries) {
      let list = byQueue.get(entry.queue);
      if (list === undefined) byQueue.set(entry.queue, list = []);
      list.push(entry);
    }
    const ops: StoreOp[] = [];
    for (const record of state.queues) {
      const { settings, binding } = splitRecord(record);
      if (binding?.transient) {
        ops.push({ op: 'deleteQueue', name: record.name });
        continue;
      }
      const queueState = QueueState.recover(record.name, settings, byQueue.get(record.name) ?? [], now);
      const queue = new DurableQueue(record.name, queueState, settings, binding, this);
      this.install(queue);
      // Its first pump removes what expired while the broker was down and arms the timer for the rest.
      queue.schedulePump();
    }
    return ops;
  }

  /**
   * Creates queue `name` (ops added to `batch`), with its dead-letter queue
   * when that does not exist. An existing queue with the same settings is
   * returned as is; with other settings, ERR_CONFLICT. Throws ERR_BAD_REQUEST
   * for bad settings.
   */
  create(name: string, input: unknown, batch: StoreOp[], binding?: Binding): DurableQueue {
    const settings = parseQueueSettings(input);
    const existing = this.queues.get(name);
    if (existing !== undefined) {
      if (binding === undefined && !sameSettings(existing.given, settings)) {
        throw new OrdoError('ERR_CONFLICT', `queue ${name} exists with other settings (${JSON.stringify(existing.given)})`);
      }
      if (binding !== undefined && existing.binding?.pattern !== binding.pattern) this.rebind(existing, binding, batch);
      return existing;
    }
    // A non-durable subscription's queue lives and dies with its subscription, which
    // limits.maxSubscriptionsPerConnection bounds: counted here, one connection's
    // subscriptions could use up every queue the broker may hold.
    if (binding?.transient !== true) this.assertRoomFor([name], settings);
    return this.build(name, settings, batch, binding);
  }

  /**
   * ERR_LIMIT when creating those of `names` that are missing (with
   * `settings`, and their dead-letter queues) would pass maxQueues. Checked
   * before anything is made, so a refused request leaves no queue behind.
   */
  assertRoomFor(names: readonly string[], settings: QueueSettings = {}): void {
    const missing = new Set<string>();
    for (const name of names) {
      if (this.queues.has(name)) continue;
      missing.add(name);
      const dlq = resolveQueueSettings(name, settings).deadLetterQueue;
      if (dlq !== null && !this.queues.has(dlq)) missing.add(dlq);
    }
    if (missing.size === 0 || this.queues.size + missing.size <= this.maxQueues) return;
    const [first] = missing;
    const more = missing.size > 1 ? ` (with ${missing.size - 1} more)` : '';
    throw new OrdoError('ERR_LIMIT', `the broker holds ${this.queues.size} queues: creating ${first}${more} would pass limits.maxQueues (${this.maxQueues})`);
  }

  /** Makes queue `name` and, when missing, its dead-letter queue (ops added to `batch`). */
  private build(name: string, settings: QueueSettings, batch: StoreOp[], binding?: Binding): DurableQueue {
    const queue = new DurableQueue(name, new QueueState(name, settings), settings, binding, this);
    batch.push({ op: 'putQueue', queue: toRecord(name, settings, binding) });
    this.install(queue);
    const dlq = queue.state.settings.deadLetterQueue;
    if (dlq !== null && !this.queues.has(dlq)) this.build(dlq, parseQueueSettings({ deadLetterQueue: null }), batch);
    return queue;
  }

  /** Deletes queue `name` with its messages (ops added to `batch`); returns how many messages went. */
  delete(name: string, batch: StoreOp[]): number {
    const queue = this.queues.get(name);
    if (queue === undefined) throw new OrdoError('ERR_NOT_FOUND', `no queue ${name}`);
    const total = queue.state.counts(Date.now()).total;
    this.queues.delete(name);
    const sub = this.subscriptions.get(name);
    if (sub !== undefined) {
      this.subscriptions.delete(name);
      this.router.remove(sub);
    }
    queue.close();
    batch.push({ op: 'deleteQueue', name });
    return total;
  }

  commit(ops: readonly StoreOp[], sync?: boolean): Promise<void> {
    return this.persister.commit(ops, sync);
  }

  messages(ids: readonly number[]): Map<number, StoredMessage> | Promise<Map<number, StoredMessage>> {
    return this.cache.getMany(ids);
  }

  sizeOf(id: number): number {
    return this.cache.sizeOf(id, UNKNOWN_SIZE);
  }

  deadLetter(from: DurableQueue, entries: readonly EntryRecord[], now: number, batch: StoreOp[]): void {
    const name = from.state.settings.deadLetterQueue;
    if (name === null) return;
    let dlq = this.queues.get(name);
    if (dlq === undefined) {
      // Created ahead of the moves in this batch: the store refuses a move to a missing queue.
      const created: StoreOp[] = [];
      // Not refused at maxQueues: refusing would lose the dead letter.
      dlq = this.build(name, parseQueueSettings({ deadLetterQueue: null }), created);
      batch.unshift(...created);
    }
    for (const entry of entries) dlq.acceptDeadLetter(entry, now, batch);
  }

  reportError(err: unknown): void {
    process.emitWarning(`ordo: store commit failed: ${(err as Error).message}`);
  }

  sampleRates(): void {
    for (const queue of this.queues.values()) queue.sampleRates();
  }

  close(): void {
    for (const queue of this.queues.values()) queue.close();
  }

  private install(queue: DurableQueue): void {
    this.queues.set(queue.name, queue);
    if (queue.binding === undefined) return;
    const sub = new QueueSubscription(queue.binding.pattern, queue);
    this.subscriptions.set(queue.name, sub);
    this.router.add(sub);
  }

  /** A durable subscription renewed with another pattern follows it (as an MQTT session's subscription would). */
  private rebind(queue: DurableQueue, binding: Binding, batch: StoreOp[]): void {
    const old = this.subscriptions.get(queue.name);
    if (old !== undefined) this.router.remove(old);
    queue.binding = binding;
    this.install(queue);
    batch.push({ op: 'putQueue', queue: toRecord(queue.name, queue.given, binding) });
  }
}

function toRecord(name: string, settings: QueueSettings, binding: Binding | undefined): QueueRecord {
  return { name, settings: binding === undefined ? { ...settings } : { ...settings, [BINDING_KEY]: { ...binding } }, createdAt: Date.now() };
}

function splitRecord(record: QueueRecord): { settings: QueueSettings; binding: Binding | undefined } {
  const { [BINDING_KEY]: binding, ...settings } = record.settings as Record<string, unknown>;
  return { settings: parseQueueSettings(settings), binding: binding as Binding | undefined };
}

function sameSettings(a: QueueSettings, b: QueueSettings): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if ((a as Record<string, unknown>)[key] !== (b as Record<string, unknown>)[key]) return false;
  return true;
}

/** Dead-letter queue name → the queues (of `queues`, in their order) that dead-letter into it. O(queues). */
function deadLetterSources(queues: readonly DurableQueue[]): Map<string, string[]> {
  const sources = new Map<string, string[]>();
  for (const queue of queues) {
    const dlq = queue.state.settings.deadLetterQueue;
    if (dlq === null) continue;
    const list = sources.get(dlq);
    if (list === undefined) sources.set(dlq, [queue.name]);
    else list.push(queue.name);
  }
  return sources;
}
