import type { ConnectionInfo, SubscriptionInfo, TopicInfo } from '../client/index.js';
import { durationText, rateText, table } from './format.js';

/**
 * The tables of `ordo conn ls`, `ordo topic ls` and `ordo subscription ls`:
 * one row per thing, '-' for what does not apply. Their --json lines are
 * the SDK's objects as they are (listText).
 */

/** Connections: ids, who, where, protocol version, age, subscriptions, consumers, counters and rates. */
export function connectionTable(conns: readonly ConnectionInfo[], now = Date.now()): string {
  return table(
    ['connection', 'client', 'user', 'address', 'proto', 'age', 'subs', 'consumers', 'in', 'out', 'in/s', 'out/s', 'dropped', 'buffered'],
    conns.map((c) => [
      c.connectionId, c.clientId || '-', c.user ?? '-', c.address, c.protocolVersion, durationText(Math.max(0, now - c.connectedAt)),
      c.subscriptions, c.consumers, c.messagesIn, c.messagesOut, rateText(c.rateIn), rateText(c.rateOut), c.dropped, c.bufferedBytes,
    ]),
  );
}

/** Topics with stored history or a retained message: matching subscriptions, retained, messages stored, newest sequence number. */
export function topicTable(topics: readonly TopicInfo[]): string {
  return table(
    ['topic', 'subscribers', 'retained', 'stored', 'last seq'],
    topics.map((t) => [t.topic, t.subscribers, t.retained ? 'yes' : 'no', t.stored, t.lastSeq ?? '-']),
  );
}

/**
 * Subscriptions: pattern, guarantee, order, who holds it ('(away)' for a
 * durable or shared one without a subscriber), its durable name or group,
 * and its backing queue with the queue's ready and unacked counts.
 */
export function subscriptionTable(subs: readonly SubscriptionInfo[]): string {
  return table(
    ['pattern', 'qos', 'order', 'connection', 'client', 'user', 'durable', 'group', 'queue', 'ready', 'unacked'],
    subs.map((s) => [
      s.pattern, s.qos, s.order, s.connectionId ?? '(away)', s.clientId || '-', s.user ?? '-', s.durable ?? '-', s.group ?? '-',
      s.queue ?? '-', s.ready ?? '-', s.unacked ?? '-',
    ]),
  );
}
