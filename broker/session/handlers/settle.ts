import { BrokerOp, ClientOp, checkSettle, requestIdOf, type DeliveryTag, type NackWireOptions, type SettleOp } from '../../protocol/index.js';
import type { StoreOp } from '../../store/index.js';
import type { Connection, ConsumerBinding } from '../connection.js';
import { replyFailure } from './message-checks.js';

const NAMES = { [ClientOp.ack]: 'ack', [ClientOp.nack]: 'nack', [ClientOp.extend]: 'extend' } as const;

/**
 * ACK, NACK and EXTEND [protocol 2.13]: settle deliveries of one consumer
 * (or at-least-once subscription) by their tags: a message's seq, or
 * [seq, deliveries] for that delivery alone (what the SDK sends). Answered
 * OK {settled} once committed; ids this consumer does not hold — never
 * delivered, already settled, or delivered on an earlier connection and
 * given back when it closed — are refused with ERR_NOT_FOUND naming them,
 * after the others were settled.
 */
export function handleSettle(conn: Connection, op: unknown[]): void {
  const name = NAMES[op[0] as keyof typeof NAMES];
  const bad = checkSettle(op, name);
  if (bad !== undefined) {
    conn.replyError(requestIdOf(op), 'ERR_BAD_REQUEST', bad);
    return;
  }
  const [, reqId, subId, ids, extra] = op as SettleOp;
  const binding = conn.consumers.get(subId);
  if (binding === undefined) {
    conn.replyError(reqId, 'ERR_NOT_FOUND', `no consumer or at-least-once subscription ${subId} on this connection`);
    return;
  }
  const batch: StoreOp[] = [];
  const unknown = settle(binding, name, ids, extra, batch);
  // Not fsynced on its own, and it may wait briefly for a commit to share
  // (Persister.commitLater): a power cut may undo an ack — a duplicate, never a loss.
  conn.broker.durable.persister.commitLater(batch).then(() => {
    if (unknown.length > 0) {
      const shown = unknown.slice(0, 10).map((t) => (typeof t === 'number' ? String(t) : `${t[0]}#${t[1]}`)).join(', ') + (unknown.length > 10 ? ', …' : '');
      conn.replyError(reqId, 'ERR_NOT_FOUND', `${name}: ${unknown.length} of ${ids.length} deliveries are not held by subscription ${subId} (${shown})`);
    } else if (reqId !== 0) {
      conn.send([BrokerOp.ok, reqId, { settled: ids.length }]);
    }
  }, (err: unknown) => replyFailure(conn, reqId, err));
}

function settle(binding: ConsumerBinding, name: 'ack' | 'nack' | 'extend', ids: DeliveryTag[], extra: unknown, batch: StoreOp[]): DeliveryTag[] {
  const { queue, consumer } = binding;
  switch (name) {
    case 'ack': return queue.ack(consumer, ids, batch);
    case 'nack': {
      const options = (extra ?? {}) as NackWireOptions;
      return queue.nack(consumer, ids, options.requeue ?? true, options.delayMs ?? 0, Date.now(), batch);
    }
    case 'extend': return queue.extend(consumer, ids, extra as number, Date.now());
  }
}
