import type { QueuedMessage, QueueInfo, StoreStats } from '../client/index.js';
import { durationText, jsonLine, payloadText, rateText as rate, table } from './format.js';

/**
 * Queues as `ordo queue ls` and `ordo stats` show them: one row each, rates
 * in messages per second, the age of the oldest waiting message, and the
 * messages in the queue's dead-letter queue ('-' when it has none).
 */
export function queueTable(queues: readonly QueueInfo[]): string {
  return table(
    ['queue', 'ready', 'delayed', 'unacked', 'total', 'consumers', 'in/s', 'out/s', 'oldest', 'dlq'],
    queues.map((q) => [
      q.name, q.ready, q.delayed, q.unacked, q.total, q.consumers, rate(q.rateIn), rate(q.rateOut),
      durationText(q.oldestAgeMs ?? null), q.deadLetterQueue === undefined ? '-' : q.deadLetters,
    ]),
  );
}

/** One queue's counts, dead letters and settings (what `ordo queue create` and `ordo queue info` print). */
export function queueDetails(q: QueueInfo): string {
  const settings = Object.entries(q.settings).map(([k, v]) => `${k}=${v === null ? 'none' : String(v)}`).join(' ');
  return table(['', ''], [
    ['queue', q.name],
    ...(q.pattern !== undefined ? [['pattern', q.pattern]] : []),
    ['ready', q.ready],
    ['delayed', q.delayed],
    ['unacked', q.unacked],
    ['total', q.total],
    ['consumers', q.consumers],
    ['rate in / out', `${rate(q.rateIn)} / ${rate(q.rateOut)} msg/s`],
    ['oldest waiting', durationText(q.oldestAgeMs ?? null)],
    ['dead letters', q.deadLetterQueue === undefined ? 'deleted (no dead-letter queue)' : `${q.deadLetters} in ${q.deadLetterQueue}`],
    ...(q.deadLetterFor !== undefined ? [['dead-letter queue of', q.deadLetterFor]] : []),
    ['settings', settings || 'defaults'],
  ]).split('\n').slice(1).join('\n');
}

/** Waiting messages as `ordo queue peek` shows them, the payload last as `ordo sub` prints it. */
export function peekTable(messages: readonly QueuedMessage[]): string {
  return table(
    ['id', 'priority', 'deliveries', 'time', 'payload'],
    messages.map((m) => [m.id, m.priority, m.deliveries, new Date(m.timestamp).toISOString(), payloadText(m.payload)]),
  );
}

/** A waiting message as one JSON object (the `--json` line of `ordo queue peek`). */
export function peekedJson(m: QueuedMessage): string {
  return jsonLine({
    id: m.id,
    priority: m.priority,
    deliveries: m.deliveries,
    timestamp: m.timestamp,
    expiresAt: m.expiresAt,
    headers: m.headers ?? {},
    payload: m.payload,
  });
}

/** The store's line of `ordo stats`: durability, commits (fsynced ones) and how many messages one fsync carried on average. */
export function storeLine(s: StoreStats): string {
  const perFsync = s.fsyncs === 0 ? 0 : s.messages / s.fsyncs;
  return `${s.durability}, ${s.commits} commits (${s.fsyncs} fsynced), ${s.messages} messages, ${rate(perFsync)} messages per fsync`;
}
