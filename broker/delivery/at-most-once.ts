import { MessageTailEncoder, type Headers } from '../protocol/index.js';
import type { MessageOrder } from '../store/index.js';
import { isGroup, pickMember, type Router } from './router.js';

/** What became of one publish. */
export interface FanOutResult {
  /** Subscriptions (groups counted once) whose pattern matched. */
  matched: number;
  /** Deliveries dropped because a subscriber's outbound buffer was full. */
  dropped: number;
}

const encoder = new MessageTailEncoder();

/** The order fields of an unacked, unflagged delivery of an ordered message; undefined for fifo. */
export function orderedTail(order: MessageOrder | undefined): { deliveries: 0; flags: 0; order: MessageOrder } | undefined {
  return order === undefined ? undefined : { deliveries: 0, flags: 0, order };
}

/**
 * At-most-once fan-out [semantics 1.1]: never stored; one delivery per
 * matching subscription (one member per shared group), encoded once and
 * copied into each subscriber's outbound frame. A subscriber that cannot keep
 * up loses the delivery and counts it: the broker never queues without bound.
 */
export function fanOutAtMostOnce(
  router: Router, topic: string, payload: Uint8Array, headers: Headers | null,
  replyTo: string | null, seq: number, timestamp: number, result: FanOutResult, order?: MessageOrder,
): void {
  const targets = router.match(topic);
  result.matched = targets.length;
  result.dropped = 0;
  if (targets.length === 0) return;
  const tail = encoder.encode(topic, payload, headers, replyTo, seq, timestamp, orderedTail(order));
  for (let i = 0; i < targets.length; i++) {
    const target = targets[i];
    const sub = isGroup(target) ? pickMember(target) : target;
    if (!sub.subscriber.deliver(sub.subId, tail)) result.dropped++;
  }
}
