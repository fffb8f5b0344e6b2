/**
 * One open SQLite store file: its prepared statements, the op semantics
 * shared with every store (see memory-store.ts), reads and compaction.
 * Synchronous: it runs inside sqlite-worker.ts, and for small commits on
 * the broker's thread (inline-commits.ts, a second connection to the file).
 */
import type { Database, Transaction } from 'better-sqlite3';
import { patternMatches } from '../topics/index.js';
import { foldDeliveries, NOTHING_FOLDED, type Folded } from './fold-deliveries.js';
import type { DecodedOp } from './op-codec.js';
import { SqliteSecurityRecords } from './sqlite-security.js';
import { NO_HISTORY_PREFIX, type RecoveredState, type RetentionLimits, type StoredMessage, type TopicRecord } from './store.js';
import { describe, StoreFault, type BatchFailure, type CommitResult } from './worker-protocol.js';

type Batches = readonly (readonly DecodedOp[])[];

/** A messages row, columns renamed to StoredMessage's fields. */
interface MessageRow {
  id: number; topic: string; payload: Uint8Array; headers: string | null;
  replyTo: string | null; publishedAt: number; expiresAt: number | null; priority: number;
  orderDep: number | null; orderScope: string | null;
}

const MESSAGE_COLUMNS = 'm.id, m.topic, m.payload, m.headers, m.reply_to AS replyTo, m.published_at AS publishedAt, m.expires_at AS expiresAt, m.priority, '
  + 'm.order_dep AS orderDep, m.order_scope AS orderScope';

/**
 * Deletes every message that no entry holds, no retained slot points at, and
 * that falls outside its topic's history: past the newest `maxMessages`, past
 * `maxBytes` of payload counted from the newest, or published before `oldest`.
 * NOT IN builds each id set once per run, instead of an index on
 * entries.message_id that every publish and ack would pay for.
 */
const COMPACT_SQL = `
  DELETE FROM messages WHERE id IN (
    SELECT id FROM (
      SELECT id, topic, published_at,
             row_number()         OVER newest AS n,
             sum(length(payload)) OVER newest AS bytes
      FROM messages
      WINDOW newest AS (PARTITION BY topic ORDER BY id DESC ROWS UNBOUNDED PRECEDING)
    )
    WHERE (n > @maxMessages OR bytes > @maxBytes OR published_at < @oldest OR substr(topic, 1, 3) = '${NO_HISTORY_PREFIX}')
      AND id NOT IN (SELECT message_id FROM entries)
      AND id NOT IN (SELECT message_id FROM retained)
  )`;

/** Every statement the store runs, prepared once: parsing SQL per op would cost more than running it. */
function prepareStatements(db: Database) {
  const p = (sql: string) => db.prepare(sql);
  const pluck = (sql: string) => db.prepare(sql).pluck();
  return {
    putMessage: p('INSERT INTO messages (id, topic, payload, headers, reply_to, published_at, expires_at, priority, order_dep, order_scope) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    hasMessage: pluck('SELECT 1 FROM messages WHERE id = ?'),
    putQueue: p('INSERT OR REPLACE INTO queues (name, settings, created_at) VALUES (?, ?, ?)'),
    deleteQueue: p('DELETE FROM queues WHERE name = ?'),
    addEntry: p('INSERT INTO entries (queue, message_id, priority, available_at, expires_at, deliveries) VALUES (?, ?, ?, ?, ?, ?)'),
    deleteEntry: p('DELETE FROM entries WHERE queue = ? AND message_id = ?'),
    deleteQueueMessage: p(`DELETE FROM messages WHERE id = ? AND substr(topic, 1, 3) = '${NO_HISTORY_PREFIX}'`),
    setDeliveries: p('UPDATE entries SET deliveries = ? WHERE queue = ? AND message_id = ?'),
    setAvailableAt: p('UPDATE entries SET available_at = ? WHERE queue = ? AND message_id = ?'),
    // OR IGNORE: onto an entry the target holds, the row stays in `from` (and moveEntryDrop deletes it).
    moveEntry: p('UPDATE OR IGNORE entries SET queue = ?, deliveries = ?, expires_at = ?, available_at = ? WHERE queue = ? AND message_id = ?'),
    moveEntryDrop: p('DELETE FROM entries WHERE queue = ? AND message_id = ?'),
    purgeQueue: p('DELETE FROM entries WHERE queue = ?'),
    setRetained: p('INSERT OR REPLACE INTO retained (topic, message_id) VALUES (?, ?)'),
    clearRetained: p('DELETE FROM retained WHERE topic = ?'),
    getMaxMessageId: pluck("SELECT max((SELECT value FROM meta WHERE key = 'maxMessageId'), coalesce((SELECT max(id) FROM messages), 0))"),
    keepMessageId: p("UPDATE meta SET value = max(value, ?) WHERE key = 'maxMessageId'"),
    keepMaxMessageId: p("UPDATE meta SET value = max(value, coalesce((SELECT max(id) FROM messages), 0)) WHERE key = 'maxMessageId'"),
    getMessage: p(`SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE id = ?`),
    replayFromId: p(`SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE topic = ? AND id >= ? ORDER BY id LIMIT ?`),
    replayFromTime: p(`SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE topic = ? AND published_at >= ? ORDER BY id LIMIT ?`),
    retainedAll: p(`SELECT ${MESSAGE_COLUMNS} FROM retained r JOIN messages m ON m.id = r.message_id ORDER BY r.topic`),
    // [prefix, prefix + '0'): the topic `prefix` and all below it ('/' sorts just before '0'), plus siblings the matcher drops.
    retainedRange: p(`SELECT ${MESSAGE_COLUMNS} FROM retained r JOIN messages m ON m.id = r.message_id WHERE r.topic >= ? AND r.topic < ? ORDER BY r.topic`),
    compact: p(COMPACT_SQL),
    // On the (topic, id) index: range scans, grouped as they go (topicRanges() says which ranges).
    topicsBetween: p('SELECT topic, count(*) AS stored, max(id) AS lastId FROM messages WHERE topic >= ? AND topic < ? GROUP BY topic ORDER BY topic LIMIT ?'),
    topicsFrom: p('SELECT topic, count(*) AS stored, max(id) AS lastId FROM messages WHERE topic >= ? GROUP BY topic ORDER BY topic LIMIT ?'),
    dataVersion: pluck('PRAGMA data_version'),
    queueNames: pluck('SELECT name FROM queues'),
    // Bumped by every putQueue and deleteQueue: the other connection reloads its queue names only when it moved.
    queuesVersion: pluck("SELECT coalesce((SELECT value FROM meta WHERE key = 'queuesVersion'), 0)"),
    putProducerSeq: p('INSERT INTO producer_seqs (producer, seq, message_id, digest, at) VALUES (?, ?, ?, ?, ?)'),
    dropProducerSeqsBelow: p('DELETE FROM producer_seqs WHERE producer = ? AND seq < ?'),
    dropProducer: p('DELETE FROM producer_seqs WHERE producer = ?'),
    instance: pluck("SELECT value FROM meta WHERE key = 'instance'"),
    bumpQueuesVersion: p("INSERT INTO meta (key, value) VALUES ('queuesVersion', 1) ON CONFLICT (key) DO UPDATE SET value = value + 1"),
  };
}

/**
 * Thrown by commitOrDecline(): nothing was applied (the file was locked
 * elsewhere, or a batch failed), and the same batches may be committed
 * again on another connection.
 */
export class StoreDeclined extends Error {}

/** An open store file. */
export class SqliteFile {
  private readonly s: ReturnType<typeof prepareStatements>;
  /** Users, ACL rules and settings. */
  private readonly security: SqliteSecurityRecords;
  /** The usual path: every batch in one transaction, no savepoints. */
  private readonly applyTogether: Transaction<(batches: Batches) => void>;
  /** After a failure: one savepoint per batch, so only the failing batches roll back. */
  private readonly applyIsolated: (batches: Batches) => CommitResult;
  /** Compaction and its meta update, in one transaction. */
  private readonly compactNow: (limits: { maxMessages: number; maxBytes: number; oldest: number }) => number;
  /** Backups still copying: close() waits for them. */
  private readonly backups = new Set<Promise<unknown>>();
  /**
   * Queue names as the current transaction sees them, so addEntry need not
   * ask SQLite (a tenth of the worker's time). Reloaded after any rollback,
   * which would leave it ahead of the file.
   */
  private queueNames: Set<string>;
  /**
   * Message ids put by the transaction being applied: addEntry of one of
   * those need not ask SQLite whether the message exists (a publish puts
   * the message and its entries in one batch: that lookup was a read per entry).
   */
  private readonly putNow = new Set<number>();
  /** The highest id deleteEntry deleted a message of in this transaction (0: none): recorded so ids are never reused. */
  private deletedMax = 0;

  /** synchronous = FULL now (each commit fsyncs the WAL); NORMAL leaves the fsync to a later FULL commit or checkpoint. */
  private isSyncing: boolean;
  /** PRAGMA data_version when this connection last looked: it changes when another connection commits. */
  private dataVersion: number;
  /** The meta row queuesVersion when queueNames was loaded. */
  private queuesVersion = 0;

  /** `fsyncs`: the file was opened with durability 'fsync' (synchronous = FULL). */
  constructor(private readonly db: Database, readonly file: string, private readonly fsyncs = false) {
    this.isSyncing = fsyncs;
    const s = this.s = prepareStatements(db);
    this.security = new SqliteSecurityRecords(db);
    this.queueNames = this.loadQueueNames();
    this.dataVersion = s.dataVersion.get() as number;
    this.applyTogether = db.transaction((batches: Batches) => {
      const folded = foldDeliveries(batches);
      for (const batch of batches) {
        for (const op of batch) if (!folded.skip.has(op)) this.apply(op, folded);
      }
      this.keepDeletedIds();
    });
    // Called inside applyIsolated, better-sqlite3 runs it as a SAVEPOINT.
    const applyBatch = db.transaction((batch: readonly DecodedOp[]) => {
      batch.forEach((op, i) => {
        try {
          this.apply(op);
        } catch (err) {
          throw new StoreFault(err instanceof StoreFault ? err.code : 'ERR_INTERNAL', `batch op ${i} (${String(op.op)}): ${describe(err)}`);
        }
      });
    });
    this.applyIsolated = db.transaction((batches: Batches) => {
      let ops = 0;
      let committed = 0;
      const failed: BatchFailure[] = [];
      batches.forEach((batch, index) => {
        try {
          applyBatch(batch);
          ops += batch.length;
          committed += 1;
        } catch (err) {
          failed.push({ index, code: err instanceof StoreFault ? err.code : 'ERR_INTERNAL', message: describe(err) });
          // Its savepoint is rolled back: a queue it made or deleted, a message it put, must not count for the next batches.
          this.queueNames = this.loadQueueNames();
          this.putNow.clear();
        }
      });
      this.keepDeletedIds();
      return { ops, batches: committed, failed, synced: this.isSyncing };
    });
    this.compactNow = db.transaction((limits: { maxMessages: number; maxBytes: number; oldest: number }) => {
      // Compaction is the only delete of messages, so the only way the highest id could
      // vanish: record it first, instead of paying a meta write in every commit.
      s.keepMaxMessageId.run();
      return s.compact.run(limits).changes;
    });
  }

  /**
   * Commits `batches` in one transaction (one fsync). A batch whose op fails
   * is rolled back alone and reported; the others commit. Throws only when
   * the transaction itself fails (disk full, I/O error): then nothing committed.
   */
  commit(batches: Batches, sync = true): CommitResult {
    this.beginCommit(sync);
    try {
      this.applyTogether(batches);
      return this.committedTogether(batches);
    } catch {
      // Rare: redo with a savepoint per batch to find the failing ones and keep the rest.
      this.queueNames = this.loadQueueNames();
      this.putNow.clear();
    }
    try {
      return this.applyIsolated(batches);
    } catch (err) {
      throw new StoreFault('ERR_INTERNAL', `commit to store ${this.file} failed, ${batches.length} batch(es) rolled back: ${describe(err)}`);
    } finally {
      this.queueNames = this.loadQueueNames();
    }
  }

  /**
   * The inline connection's commit (inline-commits.ts): every batch in one
   * transaction that takes the write lock at BEGIN, or nothing. Any failure
   * (a lock held elsewhere, a batch whose op fails, the disk) throws
   * StoreDeclined with nothing applied, so that the group goes to the
   * worker, whose commit() waits for locks and isolates failing batches.
   */
  commitOrDecline(batches: Batches, sync: boolean): CommitResult {
    try {
      this.beginCommit(sync);
      this.applyTogether.immediate(batches);
      return this.committedTogether(batches);
    } catch (err) {
      this.queueNames = this.loadQueueNames();
      this.putNow.clear();
      throw new StoreDeclined(`store ${this.file}: ${describe(err)}`);
    }
  }

  private beginCommit(sync: boolean): void {
    this.noticeOtherConnections();
    this.putNow.clear();
    this.deletedMax = 0;
    this.setSyncing(this.fsyncs && sync);
  }

  private committedTogether(batches: Batches): CommitResult {
    let ops = 0;
    for (const batch of batches) ops += batch.length;
    return { ops, batches: batches.length, failed: [], synced: this.isSyncing };
  }

  /**
   * The file has two connections (the worker's, and the broker thread's for
   * inline commits): what this one caches of the file (queue names) is
   * reloaded when the other has committed since.
   */
  private noticeOtherConnections(): void {
    const version = this.s.dataVersion.get() as number;
    if (version === this.dataVersion) return;
    this.dataVersion = version;
    if (this.s.queuesVersion.get() !== this.queuesVersion) this.queueNames = this.loadQueueNames();
  }

  /**
   * In WAL mode a commit under synchronous = NORMAL appends to the log
   * without an fsync: it survives a crash of the process (the OS has it) and
   * reaches the disk with the next FULL commit, whose fsync covers the whole
   * log before it.
   */
  private setSyncing(sync: boolean): void {
    if (sync === this.isSyncing) return;
    this.db.pragma(`synchronous = ${sync ? 'FULL' : 'NORMAL'}`);
    this.isSyncing = sync;
  }

  /** A message deleted with its entry might be the newest: meta keeps ids from being reused (as compaction does). */
  private keepDeletedIds(): void {
    if (this.deletedMax === 0) return;
    this.s.keepMessageId.run(this.deletedMax);
    this.deletedMax = 0;
  }

  private loadQueueNames(): Set<string> {
    this.queuesVersion = this.s.queuesVersion.get() as number;
    return new Set(this.s.queueNames.all() as string[]);
  }

  /** Runs one op (an addEntry with the count `folded` gives it). Rules (what fails, what is a no-op): see memory-store.ts. */
  private apply(op: DecodedOp, folded: Folded = NOTHING_FOLDED): void {
    const s = this.s;
    switch (op.op) {
      case 'putMessage':
        try {
          s.putMessage.run(op.id, op.topic, op.payload, op.headers, op.replyTo, op.publishedAt, op.expiresAt, op.priority, op.orderDep, op.orderScope);
        } catch (err) {
          throw conflictOr(err, `message ${op.id} exists`);
        }
        this.putNow.add(op.id);
        return;
      case 'putQueue':
        s.putQueue.run(op.name, op.settings, op.createdAt);
        s.bumpQueuesVersion.run();
        this.queueNames.add(op.name);
        return;
      case 'deleteQueue':
        s.deleteQueue.run(op.name);
        s.purgeQueue.run(op.name);
        s.bumpQueuesVersion.run();
        this.queueNames.delete(op.name);
        return;
      case 'addEntry': {
        const e = op.entry;
        this.needQueue(e.queue);
        if (!this.putNow.has(e.messageId) && s.hasMessage.get(e.messageId) === undefined) {
          throw new StoreFault('ERR_NOT_FOUND', `no message ${e.messageId}`);
        }
        try {
          s.addEntry.run(e.queue, e.messageId, e.priority, e.availableAt, e.expiresAt, folded.deliveries.get(op) ?? e.deliveries);
        } catch (err) {
          throw conflictOr(err, `queue ${e.queue} holds message ${e.messageId}`);
        }
        return;
      }
      case 'deleteEntry':
        // A message sent to a queue has one entry: acked, it goes now (cheaper here than in compaction's scan).
        if (s.deleteEntry.run(op.queue, op.messageId).changes > 0 && s.deleteQueueMessage.run(op.messageId).changes > 0) {
          this.deletedMax = Math.max(this.deletedMax, op.messageId);
        }
        return;
      case 'setDeliveries': s.setDeliveries.run(op.deliveries, op.queue, op.messageId); return;
      case 'setAvailableAt': s.setAvailableAt.run(op.availableAt, op.queue, op.messageId); return;
      case 'moveEntry':
        if (op.from === op.to) throw new StoreFault('ERR_BAD_REQUEST', `moveEntry from queue ${op.to} to itself`);
        this.needQueue(op.to);
        // Onto an entry `to` holds, the update is ignored: the source entry goes, the target's stays as it is.
        if (s.moveEntry.run(op.to, op.deliveries, op.expiresAt, op.availableAt, op.from, op.messageId).changes === 0) {
          s.moveEntryDrop.run(op.from, op.messageId);
        }
        return;
      case 'purgeQueue': s.purgeQueue.run(op.queue); return;
      case 'setRetained':
        if (op.messageId === null) s.clearRetained.run(op.topic);
        else if (s.hasMessage.get(op.messageId) === undefined) throw new StoreFault('ERR_NOT_FOUND', `no message ${op.messageId}`);
        else s.setRetained.run(op.topic, op.messageId);
        return;
      case 'putProducerSeq': {
        const r = op.record;
        try {
          s.putProducerSeq.run(r.producer, r.seq, r.messageId, r.digest, r.at);
        } catch (err) {
          throw conflictOr(err, `producer ${r.producer} seq ${r.seq} exists`);
        }
        return;
      }
      case 'dropProducerSeqs':
        if (op.below === null) s.dropProducer.run(op.producer);
        else s.dropProducerSeqsBelow.run(op.producer, op.below);
        return;
      case 'putUser':
      case 'deleteUser':
      case 'putAclRule':
      case 'deleteAclRule':
      case 'putSetting':
        this.security.apply(op);
        return;
      default:
        throw new StoreFault('ERR_INTERNAL', `unknown store op ${JSON.stringify((op as { op?: unknown }).op)}`);
    }
  }

  private needQueue(name: string): void {
    if (!this.queueNames.has(name)) throw new StoreFault('ERR_NOT_FOUND', `no queue ${name}`);
  }

  /** Everything the broker rebuilds in memory at start. */
  recover(): RecoveredState {
    const queues = this.db.prepare('SELECT name, settings, created_at AS createdAt FROM queues ORDER BY name').all() as { name: string; settings: string; createdAt: number }[];
    const entries = this.db.prepare(
      'SELECT queue, message_id AS messageId, priority, available_at AS availableAt, expires_at AS expiresAt, deliveries FROM entries ORDER BY queue, priority DESC, message_id',
    ).all() as RecoveredState['entries'];
    return {
      queues: queues.map((q) => ({ name: q.name, settings: JSON.parse(q.settings) as Record<string, unknown>, createdAt: q.createdAt })),
      entries,
      nextMessageId: (this.s.getMaxMessageId.get() as number) + 1,
      producerSeqs: this.db.prepare(
        'SELECT producer, seq, message_id AS messageId, digest, at FROM producer_seqs ORDER BY producer, seq',
      ).all() as RecoveredState['producerSeqs'],
      instance: (this.s.instance.get() as number).toString(16).padStart(14, '0'),
      ...this.security.recover(),
    };
  }

  getMessages(ids: readonly number[]): StoredMessage[] {
    const out: StoredMessage[] = [];
    for (const id of ids) {
      const row = this.s.getMessage.get(id) as MessageRow | undefined;
      if (row !== undefined) out.push(toMessage(row));
    }
    return out;
  }

  getRetained(patterns: readonly string[]): StoredMessage[] {
    const prefixes = patterns.map(literalPrefix);
    const rows = prefixes.includes('')
      ? this.s.retainedAll.all() as MessageRow[]
      : [...new Set(prefixes)].flatMap((p) => this.s.retainedRange.all(p, `${p}0`) as MessageRow[]);
    const seen = new Set<number>();
    const out: StoredMessage[] = [];
    for (const row of rows) {
      if (seen.has(row.id) || !patterns.some((p) => patternMatches(p, row.topic))) continue;
      seen.add(row.id);
      out.push(toMessage(row));
    }
    return out;
  }

  replay(topic: string, from: { readonly id: number } | { readonly time: number }, limit: number): StoredMessage[] {
    if (limit <= 0) return [];
    const rows = 'id' in from ? this.s.replayFromId.all(topic, from.id, limit) : this.s.replayFromTime.all(topic, from.time, limit);
    return (rows as MessageRow[]).map(toMessage);
  }

  topics(prefix: string, limit: number): TopicRecord[] {
    const found: TopicRecord[] = [];
    for (const [from, below] of topicRanges(prefix)) {
      if (found.length >= limit) break;
      const left = limit - found.length;
      const rows = (below === undefined ? this.s.topicsFrom.all(from, left) : this.s.topicsBetween.all(from, below, left)) as TopicRecord[];
      for (const row of rows) if (row.topic.startsWith(prefix)) found.push(row);
    }
    return found;
  }

  compact(retention: RetentionLimits, now: number): number {
    const { maxMessages, maxBytes, maxAgeMs } = retention;
    return this.compactNow({ maxMessages, maxBytes, oldest: now - maxAgeMs });
  }

  /** A passive WAL checkpoint (SQLite's automatic ones run only in the connection that commits past the WAL's size limit). */
  checkpoint(): void {
    this.db.pragma('wal_checkpoint(PASSIVE)');
  }

  /** Online backup: it copies in steps, so commits keep running in between. */
  backup(path: string): Promise<unknown> {
    const copy = this.db.backup(path).catch((err: unknown) => {
      throw new StoreFault('ERR_INTERNAL', `backup of store ${this.file} to ${path} failed: ${describe(err)}`);
    });
    this.backups.add(copy);
    const forget = () => this.backups.delete(copy);
    copy.then(forget, forget);
    return copy;
  }

  /** Closes the file once running backups have finished (closing under them would fail them). */
  close(): Promise<void> | undefined {
    if (this.backups.size === 0) {
      this.db.close();
      return undefined;
    }
    return Promise.allSettled([...this.backups]).then(() => {
      this.db.close();
    });
  }
}

/** A duplicate primary key (message id, or queue + message id) is the caller's ERR_CONFLICT; anything else stays as is. */
function conflictOr(err: unknown, conflict: string): unknown {
  return (err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ? new StoreFault('ERR_CONFLICT', conflict) : err;
}

/** The literal levels before a pattern's first wildcard ('' when it starts with one). */
function literalPrefix(pattern: string): string {
  const levels = pattern.split('/');
  const wild = levels.findIndex((l) => l === '+' || l === '#');
  return wild === -1 ? pattern : levels.slice(0, wild).join('/');
}

/** The message a row holds; `order` only when it has one, and its `scope` only when set (a total-order message). */
function toMessage(row: MessageRow): StoredMessage {
  const message: StoredMessage = {
    id: row.id,
    topic: row.topic,
    payload: row.payload,
    headers: row.headers === null ? null : JSON.parse(row.headers) as Record<string, string>,
    replyTo: row.replyTo,
    publishedAt: row.publishedAt,
    expiresAt: row.expiresAt,
    priority: row.priority,
  };
  if (row.orderDep === null) return message;
  const order = row.orderScope === null ? { dep: row.orderDep } : { dep: row.orderDep, scope: row.orderScope };
  return { ...message, order };
}

/** Where the messages of queues are stored (NO_HISTORY_PREFIX) in topic order: from it to just below this. */
const QUEUE_TOPICS_END = `${NO_HISTORY_PREFIX.slice(0, -1)}${String.fromCharCode(NO_HISTORY_PREFIX.charCodeAt(NO_HISTORY_PREFIX.length - 1) + 1)}`;

/**
 * The topic ranges [from, below) — `below` undefined: no end — to scan for
 * the topics starting with `prefix`, in order, around the messages of
 * queues: a store full of queued messages costs topics() nothing (a filter
 * would walk every one of them). The upper bound of a prefix is the prefix
 * followed by the highest code point. Only NO_HISTORY_PREFIX is compared
 * with the bounds, and it is ASCII: JavaScript's order (UTF-16) and
 * SQLite's (UTF-8 bytes) agree on it.
 */
function topicRanges(prefix: string): [string, string | undefined][] {
  const from = prefix;
  const below = prefix === '' ? undefined : `${prefix}\u{10FFFF}`;
  const ranges: [string, string | undefined][] = [];
  if (from < NO_HISTORY_PREFIX) ranges.push([from, below !== undefined && below < NO_HISTORY_PREFIX ? below : NO_HISTORY_PREFIX]);
  if (below === undefined || below > QUEUE_TOPICS_END) ranges.push([from > QUEUE_TOPICS_END ? from : QUEUE_TOPICS_END, below]);
  return ranges;
}
