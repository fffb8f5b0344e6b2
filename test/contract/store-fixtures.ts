/**
 * Builders and comparisons for the store contract suite: records with
 * realistic defaults, one StoreOp builder per op, and plain forms of what a
 * store returns (so that a Buffer and a Uint8Array, or a row object with
 * extra fields, compare by content).
 */
import type {
  AclRuleRecord, EntryRecord, QueueRecord, RecoveredState, RetentionLimits, StoreOp, StoredMessage, UserRecord,
} from '../../broker/store/store.js';

/** A fixed time in the past (Nov 2023): stores must use the times they are given, never the clock. */
export const T0 = 1_700_000_000_000;

/** Limits nothing falls outside of. */
export const KEEP_ALL: RetentionLimits = { maxMessages: 1e9, maxBytes: 1e15, maxAgeMs: 1e13 };
/** Limits everything falls outside of. */
export const KEEP_NONE: RetentionLimits = { maxMessages: 0, maxBytes: 0, maxAgeMs: 0 };

export function message(id: number, fields: Partial<StoredMessage> = {}): StoredMessage {
  return {
    id, topic: 'orders/eu', payload: Uint8Array.of(id % 256, 0xc0, 0xff), headers: null, replyTo: null,
    publishedAt: T0 + id, expiresAt: null, priority: 4, ...fields,
  };
}

export function queue(name: string, settings: Record<string, unknown> = {}, createdAt = T0): QueueRecord {
  return { name, settings, createdAt };
}

export function entry(queueName: string, messageId: number, fields: Partial<EntryRecord> = {}): EntryRecord {
  return { queue: queueName, messageId, priority: 4, availableAt: T0, expiresAt: null, deliveries: 0, ...fields };
}

export function user(name: string, fields: Partial<UserRecord> = {}): UserRecord {
  return { name, passwordHash: `scrypt$16384$8$1$c2FsdA==$${name}`, roles: ['reader'], createdAt: T0, ...fields };
}

export function aclRule(id: number, fields: Partial<AclRuleRecord> = {}): AclRuleRecord {
  return { id, subject: 'role:reader', action: 'subscribe', pattern: 'orders/#', createdAt: T0 + id, ...fields };
}

/** One builder per StoreOp. */
export const op = {
  putMessage: (m: StoredMessage): StoreOp => ({ op: 'putMessage', message: m }),
  putQueue: (name: string, settings: Record<string, unknown> = {}): StoreOp => ({ op: 'putQueue', queue: queue(name, settings) }),
  deleteQueue: (name: string): StoreOp => ({ op: 'deleteQueue', name }),
  addEntry: (queueName: string, messageId: number, fields: Partial<EntryRecord> = {}): StoreOp =>
    ({ op: 'addEntry', entry: entry(queueName, messageId, fields) }),
  deleteEntry: (queueName: string, messageId: number): StoreOp => ({ op: 'deleteEntry', queue: queueName, messageId }),
  setDeliveries: (queueName: string, messageId: number, deliveries: number): StoreOp =>
    ({ op: 'setDeliveries', queue: queueName, messageId, deliveries }),
  setAvailableAt: (queueName: string, messageId: number, availableAt: number): StoreOp =>
    ({ op: 'setAvailableAt', queue: queueName, messageId, availableAt }),
  /** Dead-lettering; the moved entry takes `fields` (by default: no deliveries, no expiry, available at T0). */
  moveEntry: (
    from: string, to: string, messageId: number,
    fields: Partial<Pick<EntryRecord, 'deliveries' | 'expiresAt' | 'availableAt'>> = {},
  ): StoreOp => ({ op: 'moveEntry', from, to, messageId, deliveries: 0, expiresAt: null, availableAt: T0, ...fields }),
  purgeQueue: (queueName: string): StoreOp => ({ op: 'purgeQueue', queue: queueName }),
  setRetained: (topic: string, messageId: number | null): StoreOp => ({ op: 'setRetained', topic, messageId }),
  putUser: (name: string, fields: Partial<UserRecord> = {}): StoreOp => ({ op: 'putUser', user: user(name, fields) }),
  deleteUser: (name: string): StoreOp => ({ op: 'deleteUser', name }),
  putAclRule: (id: number, fields: Partial<AclRuleRecord> = {}): StoreOp => ({ op: 'putAclRule', rule: aclRule(id, fields) }),
  deleteAclRule: (id: number): StoreOp => ({ op: 'deleteAclRule', id }),
  putSetting: (key: string, value: string): StoreOp => ({ op: 'putSetting', key, value }),
};

/** putMessage ops for `ids`, each message with the defaults and `fields`. */
export function putMessages(ids: readonly number[], fields: Partial<StoredMessage> = {}): StoreOp[] {
  return ids.map((id) => op.putMessage(message(id, fields)));
}

/** A message by content, payload as hex. */
export function plainMessage(m: StoredMessage): Record<string, unknown> {
  return {
    id: m.id, topic: m.topic, payload: Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength).toString('hex'),
    headers: m.headers === null ? null : { ...m.headers }, replyTo: m.replyTo, publishedAt: m.publishedAt,
    expiresAt: m.expiresAt, priority: m.priority,
  };
}

export function plainEntry(e: EntryRecord): EntryRecord {
  return {
    queue: e.queue, messageId: e.messageId, priority: e.priority, availableAt: e.availableAt,
    expiresAt: e.expiresAt, deliveries: e.deliveries,
  };
}

export function plainQueue(q: QueueRecord): QueueRecord {
  return { name: q.name, settings: q.settings, createdAt: q.createdAt };
}

/** The recovered users, rules and settings, by content (rows may carry extra fields). */
export function securityOf(state: RecoveredState): Pick<RecoveredState, 'users' | 'aclRules' | 'settings'> {
  return {
    users: state.users.map((u) => ({ name: u.name, passwordHash: u.passwordHash, roles: [...u.roles], createdAt: u.createdAt })),
    aclRules: state.aclRules.map((r) => ({ id: r.id, subject: r.subject, action: r.action, pattern: r.pattern, createdAt: r.createdAt })),
    settings: { ...state.settings },
  };
}

export const idsOf = (messages: readonly StoredMessage[]): number[] => messages.map((m) => m.id);

/** Ids, ascending: for results whose order the interface leaves open. */
export const sortedIds = (messages: readonly StoredMessage[]): number[] => idsOf(messages).sort((a, b) => a - b);

/**
 * Recovered queues by name, each with its entries in the order recover gave
 * them. The order of queues, and whether one queue's entries are contiguous,
 * are not part of the contract; the order within a queue is.
 */
export function byQueue(state: RecoveredState): Record<string, EntryRecord[]> {
  const grouped: Record<string, EntryRecord[]> = {};
  for (const q of [...state.queues].sort((a, b) => (a.name < b.name ? -1 : 1))) grouped[q.name] = [];
  for (const e of state.entries) (grouped[e.queue] ??= []).push(plainEntry(e));
  return grouped;
}

/** Per queue, the message ids of its entries, in recovered order. */
export function entryIds(state: RecoveredState): Record<string, number[]> {
  return Object.fromEntries(Object.entries(byQueue(state)).map(([name, list]) => [name, list.map((e) => e.messageId)]));
}

/** The recovered queues, by content, sorted by name. */
export function queuesOf(state: RecoveredState): QueueRecord[] {
  return state.queues.map(plainQueue).sort((a, b) => (a.name < b.name ? -1 : 1));
}
