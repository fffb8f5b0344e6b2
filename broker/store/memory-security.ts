/**
 * MemoryStore's security records: users, ACL rules and settings, in Maps.
 * Every op on them succeeds (put replaces, delete of a missing one does
 * nothing), so a batch check has nothing to ask of them; they hold no
 * message, so compaction never looks at them.
 */
import type { AclRuleRecord, RecoveredState, StoreOp, UserRecord } from './store.js';

/** The ops this module applies. */
export type SecurityOp = Extract<StoreOp, { op: 'putUser' | 'deleteUser' | 'putAclRule' | 'deleteAclRule' | 'putSetting' }>;

const SECURITY_OPS: ReadonlySet<StoreOp['op']> = new Set(['putUser', 'deleteUser', 'putAclRule', 'deleteAclRule', 'putSetting']);

/** Whether `op` is one of the security ops. */
export function isSecurityOp(op: StoreOp): op is SecurityOp {
  return SECURITY_OPS.has(op.op);
}

/** The op with its own copy of what the caller could change after commit() (a user's roles). */
export function copySecurityOp(op: SecurityOp): SecurityOp {
  switch (op.op) {
    case 'putUser': return { op: 'putUser', user: { ...op.user, roles: [...op.user.roles] } };
    case 'putAclRule': return { op: 'putAclRule', rule: { ...op.rule } };
    default: return op;
  }
}

/** Users by name, rules by id, settings by key. */
export class MemorySecurityRecords {
  private readonly users = new Map<string, UserRecord>();
  private readonly aclRules = new Map<number, AclRuleRecord>();
  private readonly settings = new Map<string, string>();

  /** Applies a copied op (see copySecurityOp): cannot fail. */
  apply(op: SecurityOp): void {
    switch (op.op) {
      case 'putUser': this.users.set(op.user.name, op.user); return;
      case 'deleteUser': this.users.delete(op.name); return;
      case 'putAclRule': this.aclRules.set(op.rule.id, op.rule); return;
      case 'deleteAclRule': this.aclRules.delete(op.id); return;
      case 'putSetting': this.settings.set(op.key, op.value); return;
    }
  }

  /** Users by name and rules by id, as SQLite's ORDER BY gives them (names compare by code unit: ASCII names sort the same). */
  recover(): Pick<RecoveredState, 'users' | 'aclRules' | 'settings'> {
    return {
      users: [...this.users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      aclRules: [...this.aclRules.values()].sort((a, b) => a.id - b.id),
      // fromEntries defines own properties: a key such as `__proto__` stays a plain key.
      settings: Object.fromEntries(this.settings),
    };
  }

  clear(): void {
    this.users.clear();
    this.aclRules.clear();
    this.settings.clear();
  }
}
