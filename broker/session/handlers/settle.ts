import {
  BrokerOp, ClientOp, checkSettle, requestIdOf, type DeliveryTag, type NackWireOptions, type SettleName, type SettleOp,
} from '../../protocol/index.js';
import type { StoreOp } from '../../store/index.js';
import type { Connection, ConsumerBinding } from '../connection.js';
import { replyFailure } from './message-checks.js';

const NAMES = {
  [ClientOp.ack]: 'ack', [ClientOp.nack]: 'nack', [ClientOp.extend]: 'extend',
  [ClientOp.received]: 'received', [ClientOp.complete]: 'complete',
} as const satisfies Record<number, SettleName>;

/**
 * ACK, NACK, EXTEND [protocol 2.13], RECEIVED and COMPLETE [protocol 2.15]:
 * settle deliveries of one consumer (or stored subscription) by their tags:
 * a message's seq, or [seq, deliveries] for that delivery alone (what the
 * SDK sends). Answered OK {settled} once committed; ids this consumer does
 * not hold — never delivered, already settled, or delivered on an earlier
 * connection and given back when it closed — are refused with ERR_NOT_FOUND
 * naming them, after the others were settled — except RECEIVED, whose OK
 * lists them (`notHeld`): the client learns which deliveries it may run an
 * effect for. COMPLETE is an ack that is fsynced before its OK: once
 * answered, the delivery can never come back, so the client may forget it.
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
    conn.replyError(reqId, 'ERR_NOT_FOUND', `no consumer or stored subscription ${subId} on this connection`);
    return;
  }
  const batch: StoreOp[] = [];
  const deadLettered: DeliveryTag[] = [];
  const unknown = settle(binding, name, ids, extra, batch, deadLettered);
  const { persister } = conn.broker.durable;
  // An ack is not fsynced on its own, and it may wait briefly for a commit to share
  // (Persister.commitLater): a power cut may undo an ack — a duplicate, never a loss.
  const committed = name === 'complete' ? persister.commit(batch) : persister.commitLater(batch);
  committed.then(() => {
    // A receipt is answered with the deliveries still held: a client must not run an effect for one it no longer holds.
    if (name === 'received') {
      if (reqId !== 0) conn.send([BrokerOp.ok, reqId, unknown.length === 0 ? { settled: ids.length } : { settled: ids.length - unknown.length, notHeld: unknown }]);
    } else if (unknown.length > 0) conn.replyError(reqId, 'ERR_NOT_FOUND', notHeldReason(binding, name, ids.length, unknown));
    // A nack's OK names what did not go back to the queue: a client waiting for a redelivery stops waiting.
    else if (reqId !== 0) conn.send([BrokerOp.ok, reqId, deadLettered.length === 0 ? { settled: ids.length } : { settled: ids.length, deadLettered }]);
  }, (err: unknown) => replyFailure(conn, reqId, err));
}

function settle(binding: ConsumerBinding, name: SettleName, ids: DeliveryTag[], extra: unknown, batch: StoreOp[], deadLettered: DeliveryTag[]): DeliveryTag[] {
  const { queue, consumer } = binding;
  switch (name) {
    case 'ack': return queue.ack(consumer, ids, batch);
    case 'complete': {
      const unknown = queue.ack(consumer, ids, batch);
      const missed = new Set(unknown);
      for (const tag of ids) if (!missed.has(tag)) consumer.noteCompleted(seqOf(tag));
      return unknown;
    }
    case 'received': return queue.received(consumer, ids);
    case 'nack': {
      const options = (extra ?? {}) as NackWireOptions;
      const how = { requeue: options.requeue ?? true, delayMs: options.delayMs ?? 0, release: options.release ?? false };
      return queue.nack(consumer, ids, how, Date.now(), batch, deadLettered);
    }
    case 'extend': return queue.extend(consumer, ids, extra as number, Date.now());
  }
}

/** Which deliveries were not settled and why: not held, or (for complete) completed already. */
function notHeldReason(binding: ConsumerBinding, name: SettleName, asked: number, unknown: DeliveryTag[]): string {
  const show = (tags: DeliveryTag[]): string =>
    tags.slice(0, 10).map((t) => (typeof t === 'number' ? String(t) : `${t[0]}#${t[1]}`)).join(', ') + (tags.length > 10 ? ', …' : '');
  const repeated = name === 'complete' ? unknown.filter((t) => binding.consumer.hasCompleted(seqOf(t))) : [];
  const missing = repeated.length === 0 ? unknown : unknown.filter((t) => !binding.consumer.hasCompleted(seqOf(t)));
  const parts: string[] = [];
  if (repeated.length > 0) parts.push(`${repeated.length} completed already (${show(repeated)})`);
  if (missing.length > 0) parts.push(`${missing.length} not held by subscription ${binding.consumer.subId} (${show(missing)})`);
  return `${name}: ${unknown.length} of ${asked} deliveries not settled: ${parts.join('; ')}`;
}

function seqOf(tag: DeliveryTag): number {
  return typeof tag === 'number' ? tag : tag[0];
}
