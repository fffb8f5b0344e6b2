import { queueNameError, shownTopic, type DurableEngine } from '../../durable/index.js';
import { OrdoError } from '../../errors/index.js';
import { BrokerOp, checkQueueOp, requestIdOf, type PeekedMessage, type QueueOp } from '../../protocol/index.js';
import type { StoreOp } from '../../store/index.js';
import type { Connection } from '../connection.js';
import { replyFailure } from './message-checks.js';
import { forbidden, forbiddenAdmin } from './grants.js';

/** Most messages one peek returns. */
export const MAX_PEEK = 1000;

/**
 * QUEUE [protocol 2.14]: create, delete, purge, peek, list, info. Changes
 * are answered after their commit. Creating a `$` queue is refused (those
 * are the broker's); the others act on any queue, subscription queues
 * included.
 */
export function handleQueueAdmin(conn: Connection, op: unknown[]): void {
  const bad = checkQueueOp(op);
  if (bad !== undefined) {
    conn.replyError(requestIdOf(op), 'ERR_BAD_REQUEST', bad);
    return;
  }
  const [, reqId, action, name, args] = op as QueueOp;
  const dlq = (args as { deadLetterQueue?: unknown } | null)?.deadLetterQueue;
  const denied = action === 'list' ? forbiddenAdmin(conn, 'list queues') : forbidden(conn, 'admin', name ?? '')
    // A dead-letter queue named at create is created too: it must be within the same grants.
    ?? (action === 'create' && typeof dlq === 'string' ? forbidden(conn, 'admin', dlq) : undefined);
  if (denied !== undefined) {
    conn.replyError(reqId, 'ERR_FORBIDDEN', denied);
    return;
  }
  run(conn.broker.durable, action, name ?? '', (args ?? {}) as Record<string, unknown>).then(
    (result) => conn.send([BrokerOp.ok, reqId, result]),
    (err: unknown) => replyFailure(conn, reqId, err),
  );
}

async function run(engine: DurableEngine, action: QueueOp[2], name: string, args: Record<string, unknown>): Promise<unknown> {
  if (action === 'list') return engine.queueInfos();
  if (action === 'create') {
    const nameError = queueNameError(name);
    if (nameError !== undefined) throw new OrdoError(name.startsWith('$') ? 'ERR_FORBIDDEN' : 'ERR_BAD_REQUEST', nameError);
    const dlq = args.deadLetterQueue;
    if (typeof dlq === 'string' && dlq.startsWith('$')) throw new OrdoError('ERR_FORBIDDEN', "a dead-letter queue name must not start with '$' (the broker's queues)");
    const batch: StoreOp[] = [];
    const queue = engine.queues.create(name, args, batch);
    await engine.persister.commit(batch);
    return queue.info(Date.now());
  }
  const queue = engine.queues.get(name);
  if (queue === undefined) throw new OrdoError('ERR_NOT_FOUND', `no queue ${name}`);
  switch (action) {
    case 'info': return queue.info(Date.now());
    case 'delete': {
      const batch: StoreOp[] = [];
      const deleted = engine.queues.delete(name, batch);
      await engine.persister.commit(batch);
      return { deleted };
    }
    case 'purge': {
      const batch: StoreOp[] = [];
      const purged = queue.purge(batch);
      await engine.persister.commit(batch);
      return { purged };
    }
    case 'peek': return peek(engine, name, args.count);
  }
}

async function peek(engine: DurableEngine, name: string, count: unknown): Promise<PeekedMessage[]> {
  const n = count ?? 10;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_PEEK) {
    throw new OrdoError('ERR_BAD_REQUEST', `peek count must be an integer from 1 to ${MAX_PEEK}`);
  }
  const entries = engine.queues.get(name)!.state.peek(n, Date.now());
  const messages = await engine.queues.messages(entries.map((e) => e.messageId));
  return entries.flatMap((entry) => {
    const m = messages.get(entry.messageId);
    if (m === undefined) return [];
    return [{
      id: m.id, topic: shownTopic(m.topic), payload: m.payload, headers: m.headers, priority: entry.priority,
      deliveries: entry.deliveries, timestamp: m.publishedAt, expiresAt: entry.expiresAt,
    }];
  });
}
