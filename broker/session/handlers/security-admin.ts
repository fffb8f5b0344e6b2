import { OrdoError } from '../../errors/index.js';
import { passwordError } from '../../auth/names.js';
import { signToken } from '../../auth/tokens.js';
import {
  BrokerOp, checkAclOp, checkTokenOp, checkUserOp, requestIdOf, type AclOp, type TokenOp, type UserOp,
} from '../../protocol/index.js';
import type { Principal } from '../../auth/principal.js';
import type { Connection } from '../connection.js';
import type { StoreOp } from '../../store/index.js';
import { isKeptQueueOf } from '../../durable/index.js';
import { forbiddenAdmin } from './grants.js';
import { replyFailure } from './message-checks.js';

/**
 * USER [protocol 2.18]: add, remove, passwd, roles, list; admin only. Answered
 * after the commit. A removed user's connections are closed (ERR_UNAUTHORIZED);
 * a user whose roles changed is asked to connect again (ERR_GRANTS_CHANGED).
 */
export function handleUser(conn: Connection, op: unknown[]): void {
  const [reqId, valid] = checked(conn, op, checkUserOp(op), 'manage users');
  if (!valid) return;
  const [, , action, name, args] = op as UserOp;
  const { users } = conn.broker.security;
  answer(conn, reqId, (async () => {
    switch (action) {
      case 'list': return users.list();
      case 'add': return users.add(name!, validPassword(args!.password), (args!.roles as string[] | null) ?? []);
      case 'passwd': await users.setPassword(name!, validPassword(args!.password)); return {};
      // Sessions close once memory changed, even if the commit then fails: their remembered grants go with them.
      case 'roles': {
        const before = users.get(name!);
        try {
          return await users.setRoles(name!, args!.roles as string[]);
        } finally {
          if (users.get(name!) !== before) closeSessions(conn, (p) => p.user === name && p.via !== 'hook', new OrdoError('ERR_GRANTS_CHANGED'));
        }
      }
      case 'remove': {
        const existed = users.get(name!) !== undefined;
        try {
          await users.remove(name!);
        } finally {
          if (existed && users.get(name!) === undefined) {
            closeSessions(conn, (p) => p.user === name && p.via !== 'hook', new OrdoError('ERR_UNAUTHORIZED', `user ${name} was removed`));
          }
        }
        if (existed) await dropKeptQueues(conn, name!);
        return { removed: existed };
      }
    }
  })());
}

/**
 * ACL [protocol 2.19]: add, remove, list; admin only. Removing a rule asks
 * the users it applied to to connect again, so that no subscription lives on
 * that the remaining rules would refuse.
 */
export function handleAcl(conn: Connection, op: unknown[]): void {
  const [reqId, valid] = checked(conn, op, checkAclOp(op), 'manage ACL rules');
  if (!valid) return;
  const [, , action, args] = op as AclOp;
  const { users } = conn.broker.security;
  answer(conn, reqId, (async () => {
    switch (action) {
      case 'list': return users.acl.list();
      case 'add': return users.addRule(args!);
      case 'remove': {
        const id = args!.id as number;
        const rule = users.acl.get(id);
        try {
          await users.removeRule(id);
        } finally {
          // Once memory changed, even if the commit then fails: their remembered grants go with them.
          if (rule !== undefined) closeSessions(conn, (p) => appliesTo(rule.subject, p), new OrdoError('ERR_GRANTS_CHANGED'));
        }
        return { removed: rule !== undefined };
      }
    }
  })());
}

/**
 * TOKEN [protocol 2.20]: signs a bearer token for the connection's own user,
 * or (admin only) for another user. ttlMs from 1 s to auth.maxTokenTtlMs.
 */
export function handleToken(conn: Connection, op: unknown[]): void {
  const bad = checkTokenOp(op);
  if (bad !== undefined) {
    conn.replyError(requestIdOf(op), 'ERR_BAD_REQUEST', bad);
    return;
  }
  const [, reqId, { user: asked, ttlMs }] = op as TokenOp;
  if (!conn.broker.config.auth.enabled) {
    // Made now, a token would let whoever reached this open broker in once auth is switched on.
    conn.replyError(reqId, 'ERR_UNSUPPORTED', 'tokens are signed only with authentication on (auth.enabled)');
    return;
  }
  const self = conn.principal.user;
  const user = asked ?? self;
  // A token cannot make its own successor (a stolen token ends with its expiry), nor can a login the
  // hook vouched for: its roles are the hook's, and a token would take the directory's.
  const isOwn = user === self && (conn.principal.via === 'password' || conn.principal.via === 'certificate');
  const denied = isOwn ? undefined : forbiddenAdmin(conn, user === self ? 'make tokens while logged in with a token (log in with a password)' : `make tokens for user ${user}`);
  if (denied !== undefined) {
    conn.replyError(reqId, 'ERR_FORBIDDEN', denied);
    return;
  }
  const { maxTokenTtlMs } = conn.broker.config.auth;
  if (ttlMs < 1000 || ttlMs > maxTokenTtlMs) {
    conn.replyError(reqId, 'ERR_BAD_REQUEST', `token ttlMs must be from 1000 to ${maxTokenTtlMs} (auth.maxTokenTtlMs)`);
    return;
  }
  const { users } = conn.broker.security;
  if (users.get(user) === undefined) {
    conn.replyError(reqId, 'ERR_NOT_FOUND', `no user ${user}`);
    return;
  }
  const iat = Date.now();
  const token = signToken({ sub: user, iat, exp: iat + ttlMs }, users.tokenSecret);
  conn.send([BrokerOp.ok, reqId, { token, user, expiresAt: iat + ttlMs }]);
}

/** The request id and whether the operation is well-formed and the connection an administrator (answered if not). */
function checked(conn: Connection, op: unknown[], bad: string | undefined, what: string): [number, boolean] {
  const reqId = requestIdOf(op);
  if (bad !== undefined) {
    conn.replyError(reqId, 'ERR_BAD_REQUEST', bad);
    return [reqId, false];
  }
  const denied = forbiddenAdmin(conn, what);
  if (denied !== undefined) conn.replyError(reqId, 'ERR_FORBIDDEN', denied);
  return [reqId, denied === undefined];
}

function answer(conn: Connection, reqId: number, result: Promise<unknown>): void {
  result.then((value) => conn.send([BrokerOp.ok, reqId, value]), (err: unknown) => replyFailure(conn, reqId, err));
}

function validPassword(password: unknown): string {
  const bad = passwordError(password);
  if (bad !== undefined) throw new OrdoError('ERR_BAD_REQUEST', bad);
  return password as string;
}

/**
 * Deletes the durable subscription queues a removed user kept (`$durable/<user>/…`,
 * `$group/<user>/…`, and their dead-letter queues): a user made again under
 * the same name starts with none of them.
 */
async function dropKeptQueues(conn: Connection, user: string): Promise<void> {
  const { queues, persister } = conn.broker.durable;
  const batch: StoreOp[] = [];
  for (const queue of queues.list()) if (isKeptQueueOf(queue.name, user)) queues.delete(queue.name, batch);
  await persister.commit(batch);
}

/** True when a rule with `subject` (`user:NAME` or `role:NAME`) applies to `p`. */
function appliesTo(subject: string, p: Principal): boolean {
  const [kind, name] = [subject.slice(0, subject.indexOf(':')), subject.slice(subject.indexOf(':') + 1)];
  return kind === 'user' ? p.user === name : p.roles.includes(name);
}

/** Closes the connections (this one included, after its answer) whose principal `matches`. */
function closeSessions(conn: Connection, matches: (p: Principal) => boolean, err: OrdoError): void {
  for (const other of conn.broker.connections) {
    if (other.principal.via === 'open' || !matches(other.principal)) continue;
    if (other === conn) setImmediate(() => other.fail(err));
    else other.fail(err);
  }
}
