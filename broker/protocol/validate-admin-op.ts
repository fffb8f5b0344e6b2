import { ADMIN_ACTIONS, type AdminAction } from './admin-ops.js';
import type { ClientOp } from './ops.js';
import { integerOption, isId, isPlainObject } from './validate-op.js';

/**
 * Shape check of the ADMIN operation [protocol 2.21], as validate-op.ts does
 * for the others: why an operation is malformed, or undefined when the
 * caller may treat it as the typed tuple. Whether a named connection, queue
 * or topic exists is the handler's business.
 */

export type AdminOp = [typeof ClientOp.admin, number, AdminAction, Record<string, unknown> | null];

/** Longest string argument an admin action takes (a queue name, a topic, a prefix, an id). */
export const MAX_ADMIN_STRING = 4096;

/** The string arguments each action needs (required) and may take (optional). */
const STRING_ARGS: Record<AdminAction, { required?: string; optional?: string }> = {
  'connections': {},
  'kick': { required: 'connectionId' },
  'topics': { optional: 'prefix' },
  'subscriptions': {},
  'delete-subscription': { required: 'queue' },
  'clear-retained': { required: 'topic' },
  'backup-start': {},
  'backup-read': { required: 'id' },
  'backup-end': { required: 'id' },
};

export function checkAdminOp(op: unknown[]): string | undefined {
  if (op.length < 3 || op.length > 4) return 'admin takes [19, reqId, action, args]';
  if (!isId(op[1], true)) return 'admin reqId must be a uint32';
  const action = op[2];
  if (!(ADMIN_ACTIONS as readonly unknown[]).includes(action)) return `admin action must be one of ${ADMIN_ACTIONS.join(', ')}`;
  const args = op[3] ?? null;
  if (args !== null && !isPlainObject(args)) return 'admin args must be a map or nil';
  const { required, optional } = STRING_ARGS[action as AdminAction];
  if (required !== undefined && !isShortString(args?.[required])) {
    return `admin ${String(action)} needs args.${required}, a string of 1 to ${MAX_ADMIN_STRING} characters`;
  }
  if (optional !== undefined && args?.[optional] != null && typeof args[optional] !== 'string') {
    return `admin ${String(action)} args.${optional} must be a string`;
  }
  if (action === 'backup-read') {
    if (args?.offset == null) return 'admin backup-read needs args.offset, the bytes read so far';
    return integerOption(args, 'offset', 0, Number.MAX_SAFE_INTEGER);
  }
  return undefined;
}

function isShortString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ADMIN_STRING;
}
