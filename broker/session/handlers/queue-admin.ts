import { queueNameError, shownTopic, type DurableEngine } from '../../durable/index.js';
import { OrdoError } from '../../errors/index.js';
import { BrokerOp, checkQueueOp, requestIdOf, type PeekedMessage, type QueueOp } from '../../protocol/index.js';
import type { StoreOp } from '../../store/index.js';
import type { Connection } from '../connection.js';
import { replyFailure } from './message-checks.js';
import { forbidden, forbiddenAdmin } from './grants.js';
import { logChange } from './admin.js';

/** Most messages one peek returns. */
export const MAX_PEEK = 1000;

/**
 * QUEUE [protocol 2.14]: create, delete, purge, peek, list, info, move.
 * Changes are answered after their commit, and logged. Creating a `$` queue
 * is refused (those are the broker's); the others act on any queue,
 * subscription queues included. A move needs admin on both queues.
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
  run(conn, action, name ?? '', (args ?? {}) as Record<string, unknown>).then(
    (result) => {
      if (action !== 'list' && action !== 'info' && action !== 'peek') logChange(conn, `queue ${action}`, name ?? '');
      conn.send([BrokerOp.ok, reqId, result]);
    },
    (err: unknown) => replyFailure(conn, reqId, err),
  );
}

async function run(conn: Connection, action: QueueOp[2], name: string, args: Record<string, unknown>): Promise<unknown> {
  const engine = conn.broker.durable;
  if (action === 'list') return engine.queueInfos();
  if (action === 'create') {
    const nameError = queueNameError(name);
    if (nameError !== undefined) throw new OrdoError(name.startsWith('$') ? 'ERR_FORBIDDEN' : 'ERR_BAD_REQUEST', nameError);
    const dlq = args.deadLetterQueue;
    if (typeof dlq === 'string' && dlq.startsWith('$')) throw new OrdoError('ERR_FORBIDDEN', "a dead-letter queue name must not start with '$' (the broker's queues)");
    const batch: StoreOp[] = [];
    const queue = engine.queues.create(name, args, batch);
    await engine.persister.commit(batch);
    return engine.queues.info(queue, Date.now());
  }
  const queue = engine.queues.get(name);
  if (queue === undefined) throw new OrdoError('ERR_NOT_FOUND', `no queue ${name}`);
  switch (action) {
    case 'info': return engine.queues.info(queue, Date.now());
    case 'delete': {
      const batch: StoreOp[] = [];
      const deleted = engine.queues.delete(name, batch);
      await engine.persister.commit(batch);
      return { deleted };
    }
    case 'purge': {
      const batch: StoreOp[] = [];
      const purged = queue.purge(batch, args.max as number | undefined);
      await engine.persister.commit(batch);
      const { ready, delayed } = queue.state.counts(Date.now());
      return { purged, remaining: ready + delayed };
    }
    case 'move': return move(conn, name, args);
    case 'peek': return peek(engine, name, args.count);
  }
}

/** Ready messages of `name` to `args.to`, or back to the queue it collects dead letters for [protocol 2.14]. */
async function move(conn: Connection, name: string, args: Record<string, unknown>): Promise<{ moved: number; remaining: number }> {
  const engine = conn.broker.durable;
  const to = (args.to as string | undefined) ?? engine.queues.replayTarget(name);
  const denied = forbidden(conn, 'admin', to);
  if (denied !== undefined) throw new OrdoError('ERR_FORBIDDEN', denied);
  const batch: StoreOp[] = [];
  const result = engine.queues.move(name, to, (args.max as number | undefined) ?? Number.MAX_SAFE_INTEGER, batch);
  await engine.persister.commit(batch);
  return result;
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
