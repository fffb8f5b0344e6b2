import type { ClientOp } from './ops.js';
import { isId, isPlainObject } from './validate-op.js';

/**
 * Shape checks of the security operations [protocol 2.18–2.20], as
 * validate-op.ts does for the others: each returns why an operation is
 * malformed, or undefined. Names, passwords and rules are checked by auth/.
 */

export const USER_ACTIONS = ['add', 'remove', 'passwd', 'roles', 'list'] as const;
export type UserAction = (typeof USER_ACTIONS)[number];
export const ACL_ACTIONS = ['add', 'remove', 'list'] as const;
export type AclAction = (typeof ACL_ACTIONS)[number];

export type UserOp = [typeof ClientOp.user, number, UserAction, string | null, Record<string, unknown> | null];
export type AclOp = [typeof ClientOp.acl, number, AclAction, Record<string, unknown> | null];
export type TokenOp = [typeof ClientOp.token, number, { user?: string; ttlMs: number }];

export function checkUserOp(op: unknown[]): string | undefined {
  if (op.length < 3 || op.length > 5) return 'user takes [16, reqId, action, name, args]';
  if (!isId(op[1], true)) return 'user reqId must be a uint32';
  if (!(USER_ACTIONS as readonly unknown[]).includes(op[2])) return `user action must be one of ${USER_ACTIONS.join(', ')}`;
  if (op[2] !== 'list' && typeof op[3] !== 'string') return `user ${String(op[2])} needs a user name`;
  const args = op[4] ?? null;
  if (args !== null && !isPlainObject(args)) return 'user args must be a map or nil';
  if ((op[2] === 'add' || op[2] === 'passwd') && typeof args?.password !== 'string') return `user ${op[2]} needs args.password, a string`;
  if (op[2] === 'roles' && !isStringList(args?.roles)) return 'user roles needs args.roles, an array of strings';
  if (op[2] === 'add' && args?.roles != null && !isStringList(args.roles)) return 'user add args.roles must be an array of strings';
  return undefined;
}

export function checkAclOp(op: unknown[]): string | undefined {
  if (op.length < 3 || op.length > 4) return 'acl takes [17, reqId, action, args]';
  if (!isId(op[1], true)) return 'acl reqId must be a uint32';
  if (!(ACL_ACTIONS as readonly unknown[]).includes(op[2])) return `acl action must be one of ${ACL_ACTIONS.join(', ')}`;
  const args = op[3] ?? null;
  if (args !== null && !isPlainObject(args)) return 'acl args must be a map or nil';
  if (op[2] === 'remove' && !isId(args?.id, false)) return 'acl remove needs args.id, a rule id';
  if (op[2] === 'add' && args === null) return 'acl add needs args {subject, action, pattern}';
  return undefined;
}

export function checkTokenOp(op: unknown[]): string | undefined {
  if (op.length !== 3) return 'token takes [18, reqId, {user, ttlMs}]';
  if (!isId(op[1], true)) return 'token reqId must be a uint32';
  const args = op[2];
  if (!isPlainObject(args)) return 'token args must be a map';
  if (args.user != null && typeof args.user !== 'string') return 'token user must be a string';
  if (typeof args.ttlMs !== 'number' || !Number.isSafeInteger(args.ttlMs)) return 'token ttlMs must be an integer';
  return undefined;
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.length <= 64 && value.every((v) => typeof v === 'string');
}
