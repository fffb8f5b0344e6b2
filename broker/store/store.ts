/**
 * The storage interface of the broker [semantics 1.2]. One implementation
 * per backend (SQLite in a worker thread, memory for tests and
 * at-most-once-only brokers); every one passes the contract suite in
 * test/contract/store.contract.ts.
 *
 * Model: a message is stored once (its payload and metadata, under a
 * broker-assigned id), and referenced by entries: one entry per queue that
 * holds it (a durable queue, or a durable subscription's queue). Acking
 * deletes an entry; a message no entry, retained slot or topic history
 * needs any more is removed by compaction. The broker keeps its queue
 * state (ready, in flight) in memory and writes every change here first:
 * after a restart, recover() gives every unacked entry back, ready.
 *
 * Invariants every implementation keeps:
 * - commit() applies a batch atomically and in order; once its promise
 *   resolves, the batch survives what the durability setting promises
 *   (fsync: a power cut; os: a crash of the broker process; memory: nothing);
 * - batches commit in the order commit() was called;
 * - ids are assigned by the broker and never reused (RecoveredState.nextMessageId
 *   stays above every id ever committed, compacted ones included);
 * - within a group commit each batch stays atomic and isolated: a failing
 *   batch rejects alone, the others commit; CommitInfo counts only batches
 *   that committed;
 * - callers may reuse the buffers in `ops` as soon as commit() returns;
 * - after close(), every call rejects with ERR_SHUTTING_DOWN.
 *
 * Op rules (test/contract/store.contract.ts holds them):
 * - fail (the batch rejects, ERR_CONFLICT, ERR_NOT_FOUND or ERR_BAD_REQUEST):
 *   putMessage of an existing id; addEntry to a missing queue, of a missing
 *   message, or of an existing entry; moveEntry to a missing queue, or from a
 *   queue to itself; setRetained of a missing message;
 * - no-ops (an ack can cross a purge): deleteEntry, setDeliveries and
 *   setAvailableAt of a missing entry; deleteQueue and purgeQueue of a missing
 *   queue; moveEntry of a missing source entry;
 * - moveEntry onto an entry the target already holds (two queues sharing a
 *   dead-letter queue held the same message) deletes the source entry and
 *   keeps the target's entry unchanged;
 * - putQueue of an existing name replaces its record and keeps its entries;
 * - putProducerSeq of an existing (producer, seq) fails with ERR_CONFLICT;
 *   dropProducerSeqs of nothing is a no-op; compaction never touches them;
 * - deleteEntry of a message whose topic keeps no history (NO_HISTORY_PREFIX:
 *   a message sent to a queue, which one entry holds at a time) deletes the
 *   message too, at once, rather than leaving it to compaction;
 * - moveEntry keeps priority and takes the op's deliveries, expiresAt and
 *   availableAt (a dead letter starts afresh: no delivery history, no expiry
 *   from the source);
 * - security records (users, ACL rules, settings) are put by key, replacing
 *   what the key held: putUser by name, putAclRule by id, putSetting by key;
 *   deleteUser and deleteAclRule of a missing one are no-ops; compaction
 *   never touches them; a rule keeps the id the broker gave it.
 */

/**
 * Messages whose topic starts with this (messages sent to a queue: `$q/<queue>`)
 * keep no topic history: compaction removes them once no entry holds them.
 */
export const NO_HISTORY_PREFIX = '$q/';

/** True for a topic whose messages keep no history (see NO_HISTORY_PREFIX). */
export function keepsNoHistory(topic: string): boolean {
  return topic.startsWith(NO_HISTORY_PREFIX);
}

/** How far a confirmed write survives [operations 3]. */
export type Durability = 'fsync' | 'os' | 'memory';

/** A message as stored. */
export interface StoredMessage {
  /** Broker-assigned, increasing, never reused. */
  readonly id: number;
  readonly topic: string;
  /** The MessagePack encoding of the application's value [protocol 1.6]. */
  readonly payload: Uint8Array;
  /** Headers, or null. */
  readonly headers: Readonly<Record<string, string>> | null;
  readonly replyTo: string | null;
  /** When the broker accepted it, ms since the epoch. */
  readonly publishedAt: number;
  /** When it expires (per-message TTL), ms since the epoch, or null. */
  readonly expiresAt: number | null;
  /** 0 (lowest) to 9. */
  readonly priority: number;
  /** Causal or total order [semantics 2]: absent for a fifo message. */
  readonly order?: MessageOrder;
}

/**
 * The ordering metadata the broker gives a message published with
 * `order: 'causal'` or `'total'` [semantics 2.2, 2.3], kept with it.
 */
export interface MessageOrder {
  /**
   * The highest message id in the publisher's causal past (0: none): every
   * message that happened before this one has an id at most `dep`.
   */
  readonly dep: number;
  /** A total-order message's scope (configuration's name for it); absent for a causal one. */
  readonly scope?: string;
}

/** A queue's settings, as stored (the queue engine interprets them). */
export interface QueueRecord {
  readonly name: string;
  /** The engine's settings (max length, TTL, DLQ, …): JSON data only (no undefined, Date, BigInt, Infinity). */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
}

/** One message held by one queue. */
export interface EntryRecord {
  readonly queue: string;
  readonly messageId: number;
  readonly priority: number;
  /** Not deliverable before this time (delayed delivery), ms since the epoch. */
  readonly availableAt: number;
  /** The entry expires at this time (message or queue TTL), or null. */
  readonly expiresAt: number | null;
  /** Deliveries so far (for `redelivered`, `deliveries` and dead-lettering). */
  readonly deliveries: number;
}

/** One change; a batch is a list of them, applied in order. */
export type StoreOp =
  | { readonly op: 'putMessage'; readonly message: StoredMessage }
  | { readonly op: 'putQueue'; readonly queue: QueueRecord }
  | { readonly op: 'deleteQueue'; readonly name: string }
  | { readonly op: 'addEntry'; readonly entry: EntryRecord }
  /** Ack: the entry is gone for good. */
  | { readonly op: 'deleteEntry'; readonly queue: string; readonly messageId: number }
  | { readonly op: 'setDeliveries'; readonly queue: string; readonly messageId: number; readonly deliveries: number }
  /** Nack with a delay: when the entry is deliverable again. (Ack deadlines are never stored: after a restart everything in flight is ready at once.) */
  | { readonly op: 'setAvailableAt'; readonly queue: string; readonly messageId: number; readonly availableAt: number }
  /**
   * Dead-lettering: the entry leaves `from` and joins `to` in one step, keeping
   * its priority and taking these fields (its fresh state as a dead letter).
   */
  | {
    readonly op: 'moveEntry'; readonly from: string; readonly to: string; readonly messageId: number;
    readonly deliveries: number; readonly expiresAt: number | null; readonly availableAt: number;
  }
  | { readonly op: 'purgeQueue'; readonly queue: string }
  /** The topic's retained message; null clears it. */
  | { readonly op: 'setRetained'; readonly topic: string; readonly messageId: number | null }
  /** An idempotent publisher's message: (producer, seq) is stored once [semantics 1.3]. */
  | { readonly op: 'putProducerSeq'; readonly record: ProducerSeqRecord }
  /** Forgets a producer's sequences below `below` (null: all of them, an idle producer expired). */
  | { readonly op: 'dropProducerSeqs'; readonly producer: string; readonly below: number | null }
  /** Adds a user, or replaces the one of that name (a new password or new roles). */
  | { readonly op: 'putUser'; readonly user: UserRecord }
  | { readonly op: 'deleteUser'; readonly name: string }
  /** Adds an ACL rule, or replaces the one with that id. */
  | { readonly op: 'putAclRule'; readonly rule: AclRuleRecord }
  | { readonly op: 'deleteAclRule'; readonly id: number }
  /** Sets a broker setting (the token secret, say), replacing its value. */
  | { readonly op: 'putSetting'; readonly key: string; readonly value: string };

/** A user who may log in with a password [security]. */
export interface UserRecord {
  readonly name: string;
  /** The password's hash, in the format the auth module writes (`scrypt$N$r$p$<salt>$<key>`): opaque to the store. */
  readonly passwordHash: string;
  /** Role names, in the order given. */
  readonly roles: readonly string[];
  /** When the user was made, ms since the epoch. */
  readonly createdAt: number;
}

/** One allow rule of the access control list [security]: opaque strings to the store. */
export interface AclRuleRecord {
  /** Given by the broker; the store keeps it as given. */
  readonly id: number;
  /** `user:<name>` or `role:<name>`. */
  readonly subject: string;
  /** `publish`, `subscribe`, `send`, `consume` or `admin`. */
  readonly action: string;
  /** A topic pattern, applied to topic and queue names. */
  readonly pattern: string;
  /** When the rule was added, ms since the epoch. */
  readonly createdAt: number;
}

/** What an idempotent publish left behind, to recognise its retries [semantics 1.3]. */
export interface ProducerSeqRecord {
  readonly producer: string;
  readonly seq: number;
  /** The id the message got: a retry is confirmed with it. */
  readonly messageId: number;
  /** A hash of destination, payload and headers: a retry must carry the same message. */
  readonly digest: Uint8Array;
  /** When it was stored, ms since the epoch. */
  readonly at: number;
}

/** What open() and recover() return: everything the broker needs in memory after a start. */
export interface RecoveredState {
  readonly queues: QueueRecord[];
  /** Every entry, per queue in (priority desc, messageId asc) order. */
  readonly entries: EntryRecord[];
  /** The id after the highest ever assigned (ids are never reused). */
  readonly nextMessageId: number;
  /** Idempotent publishers' remembered sequences, by producer then seq. */
  readonly producerSeqs: ProducerSeqRecord[];
  /**
   * Chosen at random when the store was created, and kept: a client's
   * deduplication keys include it, so a broker that starts afresh (a new
   * data directory, message ids from 1 again) is not mistaken for the old one.
   */
  readonly instance: string;
  /** Every user, by name. */
  readonly users: UserRecord[];
  /** Every ACL rule, by id. */
  readonly aclRules: AclRuleRecord[];
  /** Every setting put, key → value. */
  readonly settings: Record<string, string>;
}

/** How a batch must reach the disk. */
export interface CommitOptions {
  /**
   * true (default): under 'fsync' durability, the transaction that carries
   * the batch is fsynced before commit() resolves. false: written (it
   * survives a crash of the broker process) but not fsynced; the next synced
   * commit makes it durable too (the WAL is one sequential log). For what a
   * power cut may undo at the price of a duplicate delivery: acks, delivery
   * counts. A transaction is synced when any of its batches asks.
   */
  readonly sync?: boolean;
}

/** What one commit did, for metrics (fsync batches and their sizes). */
export interface CommitInfo {
  /** Operations in the transaction that carried this batch (batches may share one). */
  readonly ops: number;
  /** Batches that shared the transaction. */
  readonly batches: number;
  /** Whether the transaction was fsynced (CommitOptions.sync under 'fsync' durability). */
  readonly synced: boolean;
}

/** What the store holds of one topic (topics()). */
export interface TopicRecord {
  readonly topic: string;
  /** Messages stored under it: its history kept for replay, its retained message, what queues hold of it. */
  readonly stored: number;
  /** The id of its newest stored message. */
  readonly lastId: number;
}

/** Topic history kept for replay and retained messages [semantics 1.2]. */
export interface RetentionLimits {
  /** Most messages kept per topic. */
  readonly maxMessages: number;
  /** Most payload bytes kept per topic. */
  readonly maxBytes: number;
  /** Oldest message kept, ms. */
  readonly maxAgeMs: number;
}

/** The storage backend. All methods may be called before the previous ones settled. */
export interface Store {
  readonly durability: Durability;
  /** Opens (creating or migrating) the store. Called once, before anything else. */
  open(): Promise<RecoveredState>;
  /** The state a reopen would give, read in place (after the commits called before it). */
  recover(): Promise<RecoveredState>;
  /**
   * Applies `ops` atomically, after every batch committed before it. Batches
   * given in one event-loop turn share one transaction (group commit).
   */
  commit(ops: readonly StoreOp[], options?: CommitOptions): Promise<CommitInfo>;
  /** The messages with these ids that still exist, in the order asked. */
  getMessages(ids: readonly number[]): Promise<StoredMessage[]>;
  /** The retained messages whose topic matches any of `patterns` (`+`/`#` as in topics/), each once, in no set order. */
  getRetained(patterns: readonly string[]): Promise<StoredMessage[]>;
  /** A topic's stored history from a message id or a time (both inclusive), oldest first, at most `limit`. */
  replay(topic: string, from: { readonly id: number } | { readonly time: number }, limit: number): Promise<StoredMessage[]>;
  /**
   * Removes messages nothing needs: no entry, not retained, and outside
   * their topic's retention. Returns how many were removed.
   */
  compact(retention: RetentionLimits, now: number): Promise<number>;
  /**
   * The topics with stored messages whose name starts with `prefix` ('' for
   * all), by name, at most `limit`; messages sent to queues (NO_HISTORY_PREFIX) left out.
   */
  topics(prefix: string, limit: number): Promise<TopicRecord[]>;
  /** Writes a consistent copy of the store to `path` (SQLite online backup); ERR_UNSUPPORTED for memory durability. */
  backup(path: string): Promise<void>;
  /** Finishes pending commits and releases the files. */
  close(): Promise<void>;
}
