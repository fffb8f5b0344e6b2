/**
 * The SQLite schema, as an ordered list of migrations. The schema version
 * lives in the file's `PRAGMA user_version` (0 for a new file); opening a
 * store applies every migration above it, in one transaction, so a crash
 * mid-upgrade leaves the old schema intact.
 *
 * Rules for adding one: append, never edit or reorder a released entry
 * (files in the field were built by it); the next version is the last + 1.
 */
import type { Database } from 'better-sqlite3';
import { OrdoError } from '../errors/index.js';

/** One schema step. */
export interface Migration {
  /** The schema version after this step: 1, 2, 3, … with no gaps. */
  readonly version: number;
  readonly sql: string;
}

/** Every migration, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      -- Key/value facts about the store. 'maxMessageId': at least the highest
      -- id ever stored that compaction has deleted (it is written just before
      -- each compaction); with max(id) of messages it keeps ids from being
      -- reused [store.ts: ids are never reused].
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO meta (key, value) VALUES ('maxMessageId', 0);

      -- id is the rowid: appends go to the end of the b-tree.
      CREATE TABLE messages (
        id           INTEGER PRIMARY KEY,
        topic        TEXT    NOT NULL,
        payload      BLOB    NOT NULL,
        headers      TEXT,             -- JSON object, or NULL
        reply_to     TEXT,
        published_at INTEGER NOT NULL, -- ms since the epoch
        expires_at   INTEGER,          -- ms since the epoch, or NULL
        priority     INTEGER NOT NULL
      );
      -- Replay and per-topic retention walk a topic's messages in id order.
      CREATE INDEX messages_by_topic ON messages (topic, id);

      CREATE TABLE queues (
        name       TEXT PRIMARY KEY,
        settings   TEXT    NOT NULL,   -- JSON object, opaque to the store
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID;

      -- No index on message_id: it would cost every publish and ack a second
      -- b-tree write; compaction, the only reader by message, builds one on the fly.
      CREATE TABLE entries (
        queue        TEXT    NOT NULL,
        message_id   INTEGER NOT NULL,
        priority     INTEGER NOT NULL,
        available_at INTEGER NOT NULL,
        expires_at   INTEGER,
        deliveries   INTEGER NOT NULL,
        PRIMARY KEY (queue, message_id)
      ) WITHOUT ROWID;

      CREATE TABLE retained (
        topic      TEXT PRIMARY KEY,
        message_id INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    sql: `
      -- Idempotent publishers [semantics 1.3]: per producer, the sequences
      -- the broker remembers (a window below the highest, trimmed by the
      -- broker), each with the id its message got and a hash of the message,
      -- so a retry is confirmed with the original id and a different message
      -- under a used sequence is refused. Message compaction ignores it.
      CREATE TABLE producer_seqs (
        producer   TEXT    NOT NULL,
        seq        INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        digest     BLOB    NOT NULL,
        at         INTEGER NOT NULL, -- ms since the epoch
        PRIMARY KEY (producer, seq)
      ) WITHOUT ROWID;
      -- Chosen once, at random: clients key their deduplication records by it.
      INSERT INTO meta (key, value) VALUES ('instance', abs(random() % 9007199254740992));
    `,
  },
  {
    version: 3,
    sql: `
      -- Causal and total order [semantics 2] (StoredMessage.order): order_dep
      -- is the highest message id in the publisher's causal past (0: none),
      -- order_scope a total-order message's scope. Both NULL for a fifo
      -- message (and for every message stored before this version); a causal
      -- message has order_dep and a NULL order_scope.
      ALTER TABLE messages ADD COLUMN order_dep   INTEGER;
      ALTER TABLE messages ADD COLUMN order_scope TEXT;
    `,
  },
  {
    version: 4,
    sql: `
      -- Security [security]: users, the ACL's allow rules, and broker settings
      -- (the token secret). Small tables the broker loads whole at start and
      -- writes one row at a time; message compaction never touches them.
      CREATE TABLE users (
        name          TEXT PRIMARY KEY,
        password_hash TEXT    NOT NULL, -- scrypt$N$r$p$<salt>$<key>, opaque to the store
        roles         TEXT    NOT NULL, -- JSON array of role names
        created_at    INTEGER NOT NULL
      ) WITHOUT ROWID;

      -- id is given by the broker and kept: clients remove a rule by it.
      CREATE TABLE acl_rules (
        id         INTEGER PRIMARY KEY,
        subject    TEXT    NOT NULL,  -- user:<name> or role:<name>
        action     TEXT    NOT NULL,
        pattern    TEXT    NOT NULL,
        created_at INTEGER NOT NULL
      );

      -- Text values: meta holds integers only.
      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/**
 * Brings `db` (the file `file`, named in errors) to {@link SCHEMA_VERSION}.
 * Throws ERR_BAD_CONFIG when the file was written by a newer Ordo: opening it
 * anyway could misread or corrupt what that version stored.
 */
export function applyMigrations(db: Database, file: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new OrdoError(
      'ERR_BAD_CONFIG',
      `store ${file} has schema version ${current}, newer than this Ordo understands (${SCHEMA_VERSION}): ` +
        'run a newer Ordo, or point dataDir at another directory',
    );
  }
  if (current === SCHEMA_VERSION) return;
  db.transaction(() => {
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      // user_version lives in the file header, which is written in the same transaction.
      db.pragma(`user_version = ${m.version}`);
    }
  })();
}
