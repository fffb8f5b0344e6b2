import { OrdoError, type ErrorCode } from '../errors/index.js';
import { patternMatches } from '../topics/index.js';
import { copySecurityOp, isSecurityOp, MemorySecurityRecords } from './memory-security.js';
import { keepsNoHistory } from './store.js';
import type {
  CommitOptions,
  CommitInfo, EntryRecord, ProducerSeqRecord, QueueRecord, RecoveredState, RetentionLimits, Store, StoreOp, StoredMessage, TopicRecord,
} from './store.js';

/**
 * A Store that keeps everything in Maps (durability `memory`): for tests and
 * for brokers that only serve at-most-once. It keeps the promises of the
 * Store interface except survival: its state lives as long as the object,
 * and a new MemoryStore starts empty (the contract suite runs it with
 * `persistent: false`).
 *
 * Semantics shared with every store (test/contract/store.contract.ts):
 * - a batch is checked whole against the state it will meet (earlier ops of
 *   the same batch included) before any op is applied, so a failing batch
 *   changes nothing;
 * - batches apply in call order; each is its own transaction (no group
 *   commit: CommitInfo is always `{ ops: batch length, batches: 1, synced: false }`), and
 *   commit() settles on a later turn of the event loop, never in the same one,
 *   so callers cannot come to rely on a timing the SQLite store does not have;
 * - ops that must fail: putMessage of an id that exists (ERR_CONFLICT),
 *   addEntry to a missing queue or of a missing message (ERR_NOT_FOUND),
 *   addEntry of an entry that exists (ERR_CONFLICT), moveEntry to a missing
 *   queue and setRetained of a missing message (ERR_NOT_FOUND), moveEntry
 *   from a queue to itself (ERR_BAD_REQUEST);
 * - moveEntry onto an entry that exists deletes the source entry and keeps
 *   the target's unchanged; otherwise the moved entry keeps its priority and
 *   takes the op's deliveries, expiresAt and availableAt;
 * - ops on an entry or queue that is not there (deleteEntry, setDeliveries,
 *   setAvailableAt, moveEntry, deleteQueue, purgeQueue) do nothing: an ack
 *   that crosses a purge is not an error of the store;
 * - putQueue of an existing name replaces its record and keeps its entries;
 * - putProducerSeq of an existing (producer, seq) fails (ERR_CONFLICT);
 * - security records (memory-security.ts) never fail: put replaces, delete
 *   of a missing one does nothing;
 * - payloads, headers, order and settings are copied on the way in: the caller may
 *   reuse its buffers once commit() returns. What reads return is shared with
 *   the store and must not be mutated.
 */
export class MemoryStore implements Store {
  readonly durability = 'memory' as const;

  private readonly messages = new Map<number, StoredMessage>();
  /** Per topic, the ids of its stored messages, ascending: the topic's history. */
  private readonly history = new Map<string, number[]>();
  private readonly queues = new Map<string, MemoryQueue>();
  /** Topic → id of its retained message. */
  private readonly retained = new Map<string, number>();
  /** Producer → seq → its record (idempotent publishes). */
  private readonly producerSeqs = new Map<string, Map<number, ProducerSeqRecord>>();
  /** Users, ACL rules and settings. */
  private readonly security = new MemorySecurityRecords();
  /** The highest id ever committed, compacted or not: ids are never reused. */
  private highestId = 0;
  private readonly instance = randomInstance();
  private phase: 'new' | 'open' | 'closed' = 'new';
  /** Settles after every commit issued so far has settled (close() waits on it). */
  private settled: Promise<unknown> = Promise.resolve();

  async open(): Promise<RecoveredState> {
    if (this.phase !== 'new') throw new OrdoError('ERR_INTERNAL', `memory store: open() called on a ${this.phase} store`);
    this.phase = 'open';
    return this.recover();
  }

  /**
   * The state open() would return if this store's memory survived a restart:
   * every queue, every entry per queue in (priority desc, messageId asc)
   * order, and the id after the highest ever committed. A memory store cannot
   * be reopened, so this is how tests look at its queues.
   */
  async recover(): Promise<RecoveredState> {
    this.assertOpen();
    const names = [...this.queues.keys()].sort();
    const entries: EntryRecord[] = [];
    for (const name of names) {
      entries.push(...[...this.queues.get(name)!.entries.values()].sort(compareEntries));
    }
    return {
      queues: names.map((name) => this.queues.get(name)!.record),
      entries,
      nextMessageId: this.highestId + 1,
      producerSeqs: [...this.producerSeqs.keys()].sort().flatMap((p) => [...this.producerSeqs.get(p)!.values()].sort((a, b) => a.seq - b.seq)),
      instance: this.instance,
      ...this.security.recover(),
    };
  }

  async commit(ops: readonly StoreOp[], _options?: CommitOptions): Promise<CommitInfo> {
    this.assertOpen();
    // Checked and applied now, in call order; reported on a later turn.
    const checked = new BatchCheck(this.view).run(ops);
    if (Array.isArray(checked)) for (const op of checked) this.apply(op);
    const turn = nextTurn();
    this.settled = turn;
    await turn;
    if (!Array.isArray(checked)) throw checked;
    return { ops: ops.length, batches: 1, synced: false };
  }

  async getMessages(ids: readonly number[]): Promise<StoredMessage[]> {
    this.assertOpen();
    const found: StoredMessage[] = [];
    for (const id of ids) {
      const message = this.messages.get(id);
      if (message !== undefined) found.push(message);
    }
    return found;
  }

  async getRetained(patterns: readonly string[]): Promise<StoredMessage[]> {
    this.assertOpen();
    // A scan of every retained topic: fine at the sizes a memory store serves (tests, small brokers).
    const found: StoredMessage[] = [];
    for (const [topic, id] of this.retained) {
      if (patterns.some((pattern) => patternMatches(pattern, topic))) found.push(this.messages.get(id)!);
    }
    return found;
  }

  async replay(
    topic: string, from: { readonly id: number } | { readonly time: number }, limit: number,
  ): Promise<StoredMessage[]> {
    this.assertOpen();
    const ids = this.history.get(topic) ?? [];
    const found: StoredMessage[] = [];
    const start = 'id' in from ? lowerBound(ids, from.id) : 0;
    for (let i = start; i < ids.length && found.length < limit; i++) {
      const message = this.messages.get(ids[i])!;
      if ('id' in from || message.publishedAt >= from.time) found.push(message);
    }
    return found;
  }

  /**
   * A topic's retention window is its newest messages, counted over every
   * message of the topic still stored (referenced or not), while the count is
   * at most `maxMessages`, the payload bytes so far at most `maxBytes`, and
   * the message at most `maxAgeMs` old at `now`. Messages outside it go unless
   * an entry or a retained slot holds them.
   */
  async compact(retention: RetentionLimits, now: number): Promise<number> {
    this.assertOpen();
    const held = new Set<number>(this.retained.values());
    for (const queue of this.queues.values()) for (const id of queue.entries.keys()) held.add(id);
    let removed = 0;
    for (const [topic, ids] of this.history) {
      let count = 0;
      let bytes = 0;
      const kept: number[] = [];
      for (let i = ids.length - 1; i >= 0; i--) {
        const message = this.messages.get(ids[i]);
        if (message === undefined) continue; // deleted with its entry (a queue's message)
        count += 1;
        bytes += message.payload.byteLength;
        const isWithin = !keepsNoHistory(topic) && count <= retention.maxMessages && bytes <= retention.maxBytes
          && now - message.publishedAt <= retention.maxAgeMs;
        if (isWithin || held.has(message.id)) {
          kept.push(message.id);
        } else {
          this.messages.delete(message.id);
          removed += 1;
        }
      }
      if (kept.length === 0) this.history.delete(topic);
      else if (kept.length < ids.length) this.history.set(topic, kept.reverse());
    }
    return removed;
  }

  async topics(prefix: string, limit: number): Promise<TopicRecord[]> {
    this.assertOpen();
    const found: TopicRecord[] = [];
    for (const [topic, ids] of this.history) {
      if (!topic.startsWith(prefix) || keepsNoHistory(topic)) continue;
      const stored = ids.filter((id) => this.messages.has(id));
      if (stored.length > 0) found.push({ topic, stored: stored.length, lastId: stored[stored.length - 1] });
    }
    return found.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0)).slice(0, limit);
  }

  /** Always rejects with ERR_UNSUPPORTED: a memory store holds nothing worth a backup file. */
  async backup(path: string): Promise<void> {
    this.assertOpen();
    throw new OrdoError('ERR_UNSUPPORTED',
      `backup to ${path}: a memory store keeps nothing durable to copy; back up a SQLite store (durability fsync or os)`);
  }

  /** Waits for the commits already issued, then drops the state. Closing twice is harmless. */
  async close(): Promise<void> {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    await this.settled.catch(() => undefined);
    this.messages.clear();
    this.history.clear();
    this.queues.clear();
    this.retained.clear();
    this.producerSeqs.clear();
    this.security.clear();
  }

  /** What BatchCheck reads: the state before the batch. */
  private readonly view: StateView = {
    hasQueue: (name) => this.queues.has(name),
    hasMessage: (id) => this.messages.has(id),
    hasEntry: (queue, messageId) => this.queues.get(queue)?.entries.has(messageId) ?? false,
    hasProducerSeq: (producer, seq) => this.producerSeqs.get(producer)?.has(seq) ?? false,
  };

  /** Applies an op BatchCheck accepted (and copied): cannot fail. */
  private apply(op: StoreOp): void {
    if (isSecurityOp(op)) return this.security.apply(op);
    switch (op.op) {
      case 'putMessage': return this.putMessage(op.message);
      case 'putQueue': {
        const queue = this.queues.get(op.queue.name);
        if (queue === undefined) this.queues.set(op.queue.name, { record: op.queue, entries: new Map() });
        else queue.record = op.queue;
        return;
      }
      case 'deleteQueue': this.queues.delete(op.name); return;
      case 'purgeQueue': this.queues.get(op.queue)?.entries.clear(); return;
      case 'addEntry': this.queues.get(op.entry.queue)!.entries.set(op.entry.messageId, op.entry); return;
      case 'deleteEntry': {
        const message = this.messages.get(op.messageId);
        if (this.queues.get(op.queue)?.entries.delete(op.messageId) === true && message !== undefined && keepsNoHistory(message.topic)) {
          this.messages.delete(op.messageId); // its history slot goes at the next compaction
        }
        return;
      }
      case 'setDeliveries': return this.updateEntry(op.queue, op.messageId, { deliveries: op.deliveries });
      case 'setAvailableAt': return this.updateEntry(op.queue, op.messageId, { availableAt: op.availableAt });
      case 'moveEntry': {
        const from = this.queues.get(op.from)?.entries;
        const entry = from?.get(op.messageId);
        if (entry === undefined) return;
        from!.delete(op.messageId);
        const to = this.queues.get(op.to)!.entries;
        if (to.has(op.messageId)) return;
        const { deliveries, expiresAt, availableAt } = op;
        to.set(op.messageId, { ...entry, queue: op.to, deliveries, expiresAt, availableAt });
        return;
      }
      case 'setRetained':
        if (op.messageId === null) this.retained.delete(op.topic);
        else this.retained.set(op.topic, op.messageId);
        return;
      case 'putProducerSeq': {
        const { producer, seq } = op.record;
        let seqs = this.producerSeqs.get(producer);
        if (seqs === undefined) this.producerSeqs.set(producer, seqs = new Map());
        seqs.set(seq, op.record);
        return;
      }
      case 'dropProducerSeqs': {
        const seqs = this.producerSeqs.get(op.producer);
        if (seqs === undefined) return;
        if (op.below !== null) for (const seq of seqs.keys()) if (seq < op.below) seqs.delete(seq);
        if (op.below === null || seqs.size === 0) this.producerSeqs.delete(op.producer);
        return;
      }
    }
  }

  private putMessage(message: StoredMessage): void {
    this.messages.set(message.id, message);
    this.highestId = Math.max(this.highestId, message.id);
    const ids = this.history.get(message.topic);
    if (ids === undefined) this.history.set(message.topic, [message.id]);
    else if (ids[ids.length - 1] < message.id) ids.push(message.id);
    else ids.splice(lowerBound(ids, message.id), 0, message.id);
  }

  private updateEntry(queue: string, messageId: number, change: Partial<EntryRecord>): void {
    const entries = this.queues.get(queue)?.entries;
    const entry = entries?.get(messageId);
    if (entry !== undefined) entries!.set(messageId, { ...entry, ...change });
  }

  private assertOpen(): void {
    if (this.phase === 'new') throw new OrdoError('ERR_INTERNAL', 'memory store: used before open()');
    if (this.phase === 'closed') throw new OrdoError('ERR_INTERNAL', 'memory store: used after close()');
  }
}

interface MemoryQueue {
  record: QueueRecord;
  /** messageId → entry. */
  readonly entries: Map<number, EntryRecord>;
}

/** Why an op cannot apply. */
type Problem = readonly [code: ErrorCode, reason: string];

/** Read access to the state a batch starts from. */
interface StateView {
  hasQueue(name: string): boolean;
  hasMessage(id: number): boolean;
  hasEntry(queue: string, messageId: number): boolean;
  hasProducerSeq(producer: string, seq: number): boolean;
}

/**
 * Checks a batch against the store as it will be when each op runs, without
 * touching the store: the ops seen so far are kept in small overlays (queues
 * created or deleted, messages added, entries added or removed, queues
 * emptied by purge or delete). It also copies what the caller may reuse
 * (payloads, headers, settings), so that applying cannot throw halfway.
 */
class BatchCheck {
  private readonly queues = new Map<string, boolean>();
  private readonly messages = new Set<number>();
  /** Queue → entries changed in this batch (true: present). */
  private readonly entries = new Map<string, Map<number, boolean>>();
  /** Queues emptied in this batch: entries not re-added since are gone. */
  private readonly emptied = new Set<string>();
  /** Producer sequences put in this batch, as `producer seq`. */
  private readonly producerSeqs = new Set<string>();

  constructor(private readonly store: StateView) {}

  /** The ops to apply (copies where needed), or the error the batch fails with. */
  run(ops: readonly StoreOp[]): StoreOp[] | OrdoError {
    const checked: StoreOp[] = [];
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      let problem: Problem | undefined;
      try {
        problem = this.check(op);
        if (problem === undefined) checked.push(copyOp(op));
      } catch (err) {
        // structuredClone of settings that are not plain data.
        problem = ['ERR_BAD_REQUEST', (err as Error).message];
      }
      if (problem !== undefined) return new OrdoError(problem[0], `batch op ${i} (${op.op}): ${problem[1]}`);
    }
    return checked;
  }

  private check(op: StoreOp): Problem | undefined {
    switch (op.op) {
      case 'putMessage':
        if (this.hasMessage(op.message.id)) return ['ERR_CONFLICT', `message ${op.message.id} exists`];
        this.messages.add(op.message.id);
        return undefined;
      case 'putQueue':
        this.queues.set(op.queue.name, true);
        return undefined;
      case 'deleteQueue':
        this.queues.set(op.name, false);
        this.empty(op.name);
        return undefined;
      case 'purgeQueue':
        this.empty(op.queue);
        return undefined;
      case 'addEntry': {
        const { queue, messageId } = op.entry;
        if (!this.hasQueue(queue)) return ['ERR_NOT_FOUND', `no queue ${queue}`];
        if (!this.hasMessage(messageId)) return ['ERR_NOT_FOUND', `no message ${messageId}`];
        if (this.hasEntry(queue, messageId)) return ['ERR_CONFLICT', `queue ${queue} holds message ${messageId}`];
        this.setEntry(queue, messageId, true);
        return undefined;
      }
      case 'deleteEntry':
        this.setEntry(op.queue, op.messageId, false);
        return undefined;
      case 'setDeliveries':
      case 'setAvailableAt':
        return undefined;
      case 'moveEntry':
        if (op.from === op.to) return ['ERR_BAD_REQUEST', `moveEntry from queue ${op.to} to itself`];
        if (!this.hasQueue(op.to)) return ['ERR_NOT_FOUND', `no queue ${op.to}`];
        if (!this.hasEntry(op.from, op.messageId)) return undefined;
        this.setEntry(op.from, op.messageId, false);
        this.setEntry(op.to, op.messageId, true);
        return undefined;
      case 'setRetained':
        if (op.messageId !== null && !this.hasMessage(op.messageId)) {
          return ['ERR_NOT_FOUND', `no message ${op.messageId}`];
        }
        return undefined;
      case 'putProducerSeq': {
        const { producer, seq } = op.record;
        const key = `${producer} ${seq}`;
        if (this.producerSeqs.has(key) || this.store.hasProducerSeq(producer, seq)) return ['ERR_CONFLICT', `producer ${producer} seq ${seq} exists`];
        this.producerSeqs.add(key);
        return undefined;
      }
      case 'dropProducerSeqs':
      case 'putUser':
      case 'deleteUser':
      case 'putAclRule':
      case 'deleteAclRule':
      case 'putSetting':
        return undefined;
    }
  }

  private hasQueue(name: string): boolean {
    return this.queues.get(name) ?? this.store.hasQueue(name);
  }

  private hasMessage(id: number): boolean {
    return this.messages.has(id) || this.store.hasMessage(id);
  }

  private hasEntry(queue: string, messageId: number): boolean {
    const changed = this.entries.get(queue)?.get(messageId);
    if (changed !== undefined) return changed;
    return !this.emptied.has(queue) && this.store.hasEntry(queue, messageId);
  }

  private setEntry(queue: string, messageId: number, isPresent: boolean): void {
    let changed = this.entries.get(queue);
    if (changed === undefined) this.entries.set(queue, changed = new Map());
    changed.set(messageId, isPresent);
  }

  private empty(queue: string): void {
    this.emptied.add(queue);
    this.entries.delete(queue);
  }
}

/** The op with its own copy of everything the caller may reuse or change after commit(). */
function copyOp(op: StoreOp): StoreOp {
  if (isSecurityOp(op)) return copySecurityOp(op);
  switch (op.op) {
    case 'putMessage': {
      const { message } = op;
      const headers = message.headers === null ? null : { ...message.headers };
      const copy = { ...message, payload: message.payload.slice(), headers };
      // `order` stays absent when it is (a fifo message), and without a scope when it has none (a causal one).
      return { op: 'putMessage', message: message.order === undefined ? copy : { ...copy, order: { ...message.order } } };
    }
    case 'putQueue':
      return { op: 'putQueue', queue: { ...op.queue, settings: structuredClone(op.queue.settings) } };
    case 'addEntry':
      return { op: 'addEntry', entry: { ...op.entry } };
    case 'putProducerSeq':
      return { op: 'putProducerSeq', record: { ...op.record, digest: op.record.digest.slice() } };
    default:
      return op;
  }
}

/** Recovery order within a queue: priority desc, then messageId asc. */
function compareEntries(a: EntryRecord, b: EntryRecord): number {
  return b.priority - a.priority || a.messageId - b.messageId;
}

/** The first index of ascending `ids` whose value is ≥ `id`. */
function lowerBound(ids: readonly number[], id: number): number {
  let low = 0;
  let high = ids.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (ids[mid] < id) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** 64 random bits as hex: a memory store is a new instance each time. */
function randomInstance(): string {
  return Array.from(globalThis.crypto.getRandomValues(new Uint32Array(2)), (n) => n.toString(16).padStart(8, '0')).join('');
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
