import type { Action } from '../../auth/acl.js';
import { INBOX_PREFIX } from '../../protocol/index.js';
import type { Connection } from '../connection.js';

/**
 * Why `conn` may not do `action` on the topic or queue `name`, or undefined
 * when its ACL grants it [docs/security.md]. With auth off everything is granted.
 */
export function forbidden(conn: Connection, action: Action, name: string): string | undefined {
  if (conn.broker.security.may(conn.principal, action, name)) return undefined;
  return `user ${conn.principal.user} may not ${action} ${action === 'publish' || action === 'subscribe' ? 'topic' : 'queue'} '${name}'`;
}

/** As forbidden, for everything the subscription pattern `pattern` can match: one rule must cover it whole. */
export function forbiddenPattern(conn: Connection, action: Action, pattern: string): string | undefined {
  if (conn.broker.security.mayPattern(conn.principal, action, pattern)) return undefined;
  return `user ${conn.principal.user} may not ${action} '${pattern}': no rule grants all of it (subscribe to a pattern within your grants)`;
}

/**
 * PUBLISH's check: a reply to a request inbox (`$inbox/<id>/...`) needs no
 * grant, since the inbox id (128 random bits) is known only to its owner and
 * to those it sent requests to. Only a plain one: a stored (at-least-once or
 * retained) publish to an inbox needs a grant like any other, or anyone
 * could fill the store under made-up inbox ids.
 */
export function forbiddenPublish(conn: Connection, topic: string, isStored: boolean): string | undefined {
  return !isStored && topic.startsWith(INBOX_PREFIX) ? undefined : forbidden(conn, 'publish', topic);
}

/** A reason from the functions above as a refusal to reply with. */
export function forbiddenRefusal(reason: string | undefined): ['ERR_FORBIDDEN', string] | undefined {
  return reason === undefined ? undefined : ['ERR_FORBIDDEN', reason];
}

/** Broker-wide administration (users, rules, tokens of others, stats, the queue list) needs admin on `#`. */
export function forbiddenAdmin(conn: Connection, what: string): string | undefined {
  if (conn.broker.security.isAdmin(conn.principal)) return undefined;
  return `user ${conn.principal.user} may not ${what}: it needs admin on '#'`;
}
