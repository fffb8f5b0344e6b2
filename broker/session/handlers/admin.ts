import { connectionInfos, deleteSubscription, subscriptionInfos, topicInfos } from '../../admin/index.js';
import { OrdoError } from '../../errors/index.js';
import { BrokerOp, checkAdminOp, requestIdOf, topicNameError, type AdminOp } from '../../protocol/index.js';
import type { StoreOp } from '../../store/index.js';
import type { Connection } from '../connection.js';
import { forbiddenAdmin } from './grants.js';
import { replyFailure } from './message-checks.js';

type Args = Record<string, unknown>;

/** What each action does, for the refusal of a user who is no administrator. */
const WHAT: Record<AdminOp[2], string> = {
  'connections': 'list connections',
  'kick': 'kick connections',
  'topics': 'list topics',
  'subscriptions': 'list subscriptions',
  'delete-subscription': 'delete subscriptions',
  'clear-retained': 'clear retained messages',
  'backup-start': 'back up the store',
  'backup-read': 'read backups',
  'backup-end': 'end backups',
};

/** The actions that change something, with what they changed: logged once done. */
const CHANGES: Partial<Record<AdminOp[2], (args: Args, conn: Connection) => string>> = {
  'kick': (args) => args.connectionId as string,
  'delete-subscription': (args) => args.queue as string,
  'clear-retained': (args) => args.topic as string,
  'backup-start': (_args, conn) => conn.broker.config.dataDir,
};

/**
 * ADMIN [protocol 2.21]: the broker's inventory (connections, topics,
 * subscriptions) and what an operator does to it (kick, delete a
 * subscription, clear a retained message, take an online backup). Every
 * action needs admin on `#`; changes are answered after their commit and
 * logged with who made them.
 */
export function handleAdmin(conn: Connection, op: unknown[]): void {
  const bad = checkAdminOp(op);
  if (bad !== undefined) {
    conn.replyError(requestIdOf(op), 'ERR_BAD_REQUEST', bad);
    return;
  }
  const [, reqId, action, args] = op as AdminOp;
  const denied = forbiddenAdmin(conn, WHAT[action]);
  if (denied !== undefined) {
    conn.replyError(reqId, 'ERR_FORBIDDEN', denied);
    return;
  }
  let result: unknown;
  try {
    result = run(conn, action, args ?? {});
  } catch (err) {
    replyFailure(conn, reqId, err);
    return;
  }
  Promise.resolve(result).then(
    (value) => {
      const target = CHANGES[action]?.(args ?? {}, conn);
      if (target !== undefined) logChange(conn, action, target);
      conn.send([BrokerOp.ok, reqId, value]);
    },
    (err: unknown) => replyFailure(conn, reqId, err),
  );
}

/** Runs one action; its answer, or a promise of it. Throws (or rejects) an OrdoError for the client. */
function run(conn: Connection, action: AdminOp[2], args: Args): unknown {
  const { broker } = conn;
  switch (action) {
    case 'connections': return connectionInfos(broker.connections);
    case 'topics': return topicInfos(broker.durable, broker.router, (args.prefix as string | undefined) ?? '');
    case 'subscriptions': return subscriptionInfos(broker.connections, broker.durable);
    case 'kick': return kick(conn, args.connectionId as string);
    case 'delete-subscription': {
      const batch: StoreOp[] = [];
      const deleted = deleteSubscription(broker.connections, broker.durable, args.queue as string, batch);
      return broker.durable.persister.commit(batch).then(() => ({ deleted }));
    }
    case 'clear-retained': {
      // A pattern or a malformed name holds no retained message: say so, rather than `cleared: false`.
      const topicError = topicNameError(args.topic);
      if (topicError !== undefined) throw new OrdoError('ERR_BAD_TOPIC', topicError);
      return broker.durable.clearRetained(args.topic as string).then((cleared) => ({ cleared }));
    }
    case 'backup-start':
      if (broker.config.durability === 'memory') {
        throw new OrdoError('ERR_BAD_REQUEST', "this broker keeps its store in memory (durability 'memory'): there is nothing on disk to back up");
      }
      if (broker.alarms.disk?.isAlarmed) {
        // A backup is a full copy of the store on the same disk: it would take what little is left.
        throw new OrdoError('ERR_LIMIT', `no backup while the disk alarm is on: ${broker.alarms.reasons().join('; ')}`);
      }
      return broker.backups.start();
    case 'backup-read': return broker.backups.read(args.id as string, (args.offset as number | undefined) ?? 0);
    case 'backup-end': return broker.backups.end(args.id as string);
  }
}

/**
 * Closes connection `id` with ERR_KICKED (close status 4002); its client
 * may connect again. The close comes a turn later, after the OK was
 * queued: kicking one's own connection is answered too.
 */
function kick(conn: Connection, id: string): { kicked: true } {
  const target = [...conn.broker.connections].find((c) => c.connectionId === id && c.state !== 'closed');
  if (target === undefined) throw new OrdoError('ERR_NOT_FOUND', `no connection ${id}`);
  const by = conn === target ? 'itself' : `an administrator (${conn.principal.user || conn.connectionId})`;
  setImmediate(() => target.fail(new OrdoError('ERR_KICKED', `this connection was closed by ${by}`)));
  return { kicked: true };
}

/** One log line per admin action that changes something [docs/operations.md, Logs]. */
export function logChange(conn: Connection, action: string, target: string): void {
  conn.broker.log.info(
    // No user with authentication off: every client is the same anonymous one.
    { event: 'admin', ...(conn.broker.config.auth.enabled && { user: conn.principal.user }), connectionId: conn.connectionId, action, target },
    `admin ${action} ${target}`,
  );
}
