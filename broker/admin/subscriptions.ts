import { subscriptionQueueParts, type DurableEngine, type DurableQueue } from '../durable/index.js';
import { OrdoError } from '../errors/index.js';
import { DEAD_LETTER_SUFFIX } from '../queues/index.js';
import type { Order, Qos, SubscriptionInfo } from '../protocol/index.js';
import type { StoreOp } from '../store/index.js';
import type { Connection } from '../session/index.js';

/**
 * What a subscribe asked for that the broker does not otherwise keep with
 * the subscription (its durable name and group are in its queue's name).
 */
export interface SubscriptionShape {
  readonly qos: Qos;
  readonly order: Order;
}

/**
 * Shapes by the object that stands for a subscription while it lives (its
 * router Subscription, or its connection's ConsumerBinding): weak, so
 * nothing is left behind when a subscription ends, whichever way it ends.
 */
const shapes = new WeakMap<object, SubscriptionShape>();

/** Records what subscription `key` was asked for, for `admin subscriptions`. */
export function noteSubscription(key: object, shape: SubscriptionShape): void {
  shapes.set(key, shape);
}

/**
 * Every subscription as `admin subscriptions` shows it [protocol 2.21]: the
 * live ones of each connection (topic subscriptions, and subscriptions
 * backed by a queue), then the durable and shared subscriptions whose every
 * subscriber is away, read from their queues (their qos and order are the
 * subscriber's to say again: shown as at-least-once, fifo).
 */
export function subscriptionInfos(connections: Iterable<Connection>, durable: DurableEngine): SubscriptionInfo[] {
  const now = Date.now();
  const infos: SubscriptionInfo[] = [];
  const live = new Set<DurableQueue>();
  for (const conn of connections) {
    const who = {
      connectionId: conn.connectionId,
      ...(conn.clientId !== '' && { clientId: conn.clientId }),
      ...(conn.principal.via !== 'open' && { user: conn.principal.user }),
    };
    for (const sub of conn.subscriptions.values()) {
      const shape = shapes.get(sub);
      infos.push({ pattern: sub.pattern, qos: sub.qos, order: shape?.order ?? 'fifo', ...who, ...(sub.group !== undefined && { group: sub.group }) });
    }
    for (const binding of conn.consumers.values()) {
      if (binding.queue.binding === undefined) continue; // a consumer of a plain queue
      live.add(binding.queue);
      const shape = shapes.get(binding);
      infos.push({ ...queueSide(binding.queue, now), qos: shape?.qos ?? 'at-least-once', order: shape?.order ?? 'fifo', ...who });
    }
  }
  for (const queue of durable.queues.list()) {
    if (queue.binding === undefined || queue.binding.transient || live.has(queue)) continue;
    const { user, clientId } = subscriptionQueueParts(queue.name) ?? {};
    infos.push({
      ...queueSide(queue, now), qos: 'at-least-once', order: 'fifo',
      ...(clientId !== undefined && { clientId }), ...(user !== undefined && { user }),
    });
  }
  return infos;
}

/** What a subscription's queue says of it: pattern, names, depth. */
function queueSide(queue: DurableQueue, now: number): SubscriptionInfo {
  const { durable, group } = subscriptionQueueParts(queue.name) ?? {};
  const counts = queue.state.counts(now);
  return {
    pattern: queue.binding!.pattern, qos: 'at-least-once', order: 'fifo',
    ...(durable !== undefined && { durable }), ...(group !== undefined && { group }),
    queue: queue.name, ready: counts.ready, unacked: counts.inFlight,
  };
}

/**
 * Deletes the subscription backed by queue `name` [protocol 2.21]: first
 * every live subscriber of it is told — its subscription ends with
 * ERR_NOT_FOUND (an ERROR naming the subscription id, protocol 2.9), its
 * unacked deliveries can no longer be acked — then the queue goes with its
 * messages, and its dead-letter queue `<name>.dlq` when no other queue
 * dead-letters into it. Ops added to `batch`; returns how many messages went.
 * ERR_NOT_FOUND: no such queue; ERR_BAD_REQUEST: a queue no subscription uses.
 */
export function deleteSubscription(connections: Iterable<Connection>, durable: DurableEngine, name: string, batch: StoreOp[]): number {
  const queues = durable.queues;
  const queue = queues.get(name);
  if (queue === undefined) throw new OrdoError('ERR_NOT_FOUND', `no subscription queue ${name}`);
  if (queue.binding === undefined) throw new OrdoError('ERR_BAD_REQUEST', `queue ${name} backs no subscription: delete it as a queue (ordo queue rm)`);
  for (const conn of connections) {
    for (const [subId, binding] of conn.consumers) {
      if (binding.queue !== queue) continue;
      conn.consumers.delete(subId);
      conn.endSubscription(subId, 'ERR_NOT_FOUND', `subscription ${subId} ended: an administrator deleted its queue ${name}`);
    }
  }
  let deleted = queues.delete(name, batch);
  const dlq = queue.state.settings.deadLetterQueue;
  if (dlq === `${name}${DEAD_LETTER_SUFFIX}` && queues.get(dlq) !== undefined && queues.sourcesOf(dlq).length === 0) {
    deleted += queues.delete(dlq, batch);
  }
  return deleted;
}
