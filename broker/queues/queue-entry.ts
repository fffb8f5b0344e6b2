import { OrdoError } from '../errors/index.js';
import type { EntryRecord } from '../store/index.js';
import type { HeapPosition } from './indexed-heap.js';
import type { Delivery } from './queue-results.js';

/** Where an entry is: exactly one of these at any time. */
export type Place = 'ready' | 'delayed' | 'inFlight';

/**
 * One message held by a QueueState (module-internal: mutable, with its heap
 * positions). The *Index fields are owned by IndexedHeap; -1 means "not in
 * that heap".
 */
export interface Entry {
  readonly messageId: number;
  readonly priority: number;
  /** Not deliverable before, ms since the epoch. */
  availableAt: number;
  /** Expiry (message TTL and queue TTL, the sooner), ms since the epoch, or null. */
  readonly expiresAt: number | null;
  /** Deliveries so far. */
  deliveries: number;
  place: Place;
  /** The consumer holding it; null unless in flight. */
  consumerId: string | null;
  /** When it comes back unless acked, ms since the epoch; meaningful only in flight. */
  deadline: number;
  /** Position in the heap `place` names (ready, delayed or deadlines). */
  placeIndex: number;
  /** Position in the by-age heap of waiting (ready or delayed) entries. */
  ageIndex: number;
  /** Position in the by-expiry heap of waiting entries that have an expiry. */
  expiryIndex: number;
}

/** An entry's position in the heap its place names (ready, delayed or deadlines). */
export const PLACE_POSITION: HeapPosition<Entry> = { get: (e) => e.placeIndex, set: (e, at) => { e.placeIndex = at; } };
/** An entry's position in the by-age heap. */
export const AGE_POSITION: HeapPosition<Entry> = { get: (e) => e.ageIndex, set: (e, at) => { e.ageIndex = at; } };
/** An entry's position in the by-expiry heap. */
export const EXPIRY_POSITION: HeapPosition<Entry> = { get: (e) => e.expiryIndex, set: (e, at) => { e.expiryIndex = at; } };

/** A new entry, in no heap yet. */
export function newEntry(
  messageId: number, priority: number, availableAt: number, expiresAt: number | null, deliveries: number,
): Entry {
  return {
    messageId, priority, availableAt, expiresAt, deliveries,
    place: 'delayed', consumerId: null, deadline: Number.NaN, placeIndex: -1, ageIndex: -1, expiryIndex: -1,
  };
}

/** The entry as the store holds it (in-flight state is never stored). */
export function toRecord(queue: string, entry: Entry): EntryRecord {
  return {
    queue, messageId: entry.messageId, priority: entry.priority, availableAt: entry.availableAt,
    expiresAt: entry.expiresAt, deliveries: entry.deliveries,
  };
}

/** What the consumer is told about an entry just put in flight. */
export function toDelivery(entry: Entry): Delivery {
  return {
    messageId: entry.messageId, priority: entry.priority, deliveries: entry.deliveries,
    redelivered: entry.deliveries > 1, deadline: entry.deadline, expiresAt: entry.expiresAt,
  };
}

/** True when the entry's TTL has passed at `now`: it must never be delivered. */
export function isExpired(entry: Entry, now: number): boolean {
  return entry.expiresAt !== null && entry.expiresAt <= now;
}

/**
 * Delivery order: highest priority first, then lowest message id. A
 * requeued message keeps its id, so it goes back ahead of every later
 * message of its priority: fifo holds across redeliveries (DESIGN.md, Ordering guarantees).
 */
export function readyBefore(a: Entry, b: Entry): boolean {
  return a.priority > b.priority || (a.priority === b.priority && a.messageId < b.messageId);
}

/** Delayed entries: soonest availableAt first; at equal times, delivery order. */
export function delayedBefore(a: Entry, b: Entry): boolean {
  return a.availableAt < b.availableAt || (a.availableAt === b.availableAt && readyBefore(a, b));
}

/** In-flight entries: soonest deadline first. */
export function deadlineBefore(a: Entry, b: Entry): boolean {
  return a.deadline < b.deadline || (a.deadline === b.deadline && a.messageId < b.messageId);
}

/** Waiting entries by age: lowest message id (published first) first — the one drop-oldest drops. */
export function ageBefore(a: Entry, b: Entry): boolean {
  return a.messageId < b.messageId;
}

/** Waiting entries with an expiry: soonest first. */
export function expiryBefore(a: Entry, b: Entry): boolean {
  return a.expiresAt! < b.expiresAt! || (a.expiresAt === b.expiresAt && a.messageId < b.messageId);
}

/**
 * Throws ERR_BAD_REQUEST unless the fields can make an entry: a safe-integer
 * id, an integer priority 0–9, finite times. The broker validates what peers
 * send before this; this guards the heaps, whose order a NaN would break.
 */
export function checkEntryFields(messageId: number, priority: number, availableAt: number, expiresAt: number | null): void {
  if (!Number.isSafeInteger(messageId)) throw new OrdoError('ERR_BAD_REQUEST', `message id ${messageId} is not an integer`);
  if (!Number.isInteger(priority) || priority < 0 || priority > 9) {
    throw new OrdoError('ERR_BAD_REQUEST', `priority must be an integer from 0 to 9, got ${priority}`);
  }
  if (!Number.isFinite(availableAt) || (expiresAt !== null && !Number.isFinite(expiresAt))) {
    throw new OrdoError('ERR_BAD_REQUEST', `message ${messageId}: availableAt and expiresAt must be finite`);
  }
}

/** An integer number of ms from 0 to `max`. */
export function isDuration(ms: number, max: number): boolean {
  return Number.isInteger(ms) && ms >= 0 && ms <= max;
}
