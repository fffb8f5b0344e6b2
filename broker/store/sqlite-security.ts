/**
 * SqliteFile's security records: users, ACL rules and settings (tables of
 * schema version 4). Put replaces by key (INSERT OR REPLACE), delete of a
 * missing row does nothing, so no op here can fail a batch, as in
 * memory-security.ts. Compaction deletes messages only: these rows stay.
 */
import type { Database } from 'better-sqlite3';
import type { DecodedOp } from './op-codec.js';
import type { AclRuleRecord, RecoveredState } from './store.js';

/** The decoded ops this module applies. */
export type SecurityDecodedOp = Extract<DecodedOp, { op: 'putUser' | 'deleteUser' | 'putAclRule' | 'deleteAclRule' | 'putSetting' }>;

/** The statements of the security tables, prepared once per connection. */
export class SqliteSecurityRecords {
  private readonly putUser;
  private readonly deleteUser;
  private readonly putAclRule;
  private readonly deleteAclRule;
  private readonly putSetting;
  private readonly users;
  private readonly aclRules;
  private readonly settings;

  constructor(db: Database) {
    this.putUser = db.prepare('INSERT OR REPLACE INTO users (name, password_hash, roles, created_at) VALUES (?, ?, ?, ?)');
    this.deleteUser = db.prepare('DELETE FROM users WHERE name = ?');
    this.putAclRule = db.prepare('INSERT OR REPLACE INTO acl_rules (id, subject, action, pattern, created_at) VALUES (?, ?, ?, ?, ?)');
    this.deleteAclRule = db.prepare('DELETE FROM acl_rules WHERE id = ?');
    this.putSetting = db.prepare('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)');
    this.users = db.prepare('SELECT name, password_hash AS passwordHash, roles, created_at AS createdAt FROM users ORDER BY name');
    this.aclRules = db.prepare('SELECT id, subject, action, pattern, created_at AS createdAt FROM acl_rules ORDER BY id');
    this.settings = db.prepare('SELECT key, value FROM settings');
  }

  apply(op: SecurityDecodedOp): void {
    switch (op.op) {
      case 'putUser': this.putUser.run(op.name, op.passwordHash, op.roles, op.createdAt); return;
      case 'deleteUser': this.deleteUser.run(op.name); return;
      case 'putAclRule': {
        const r = op.rule;
        this.putAclRule.run(r.id, r.subject, r.action, r.pattern, r.createdAt);
        return;
      }
      case 'deleteAclRule': this.deleteAclRule.run(op.id); return;
      case 'putSetting': this.putSetting.run(op.key, op.value); return;
    }
  }

  /** Users by name, rules by id, every setting. */
  recover(): Pick<RecoveredState, 'users' | 'aclRules' | 'settings'> {
    const users = this.users.all() as { name: string; passwordHash: string; roles: string; createdAt: number }[];
    const settings = this.settings.all() as { key: string; value: string }[];
    return {
      users: users.map((u) => ({ name: u.name, passwordHash: u.passwordHash, roles: JSON.parse(u.roles) as string[], createdAt: u.createdAt })),
      aclRules: this.aclRules.all() as AclRuleRecord[],
      // fromEntries defines own properties: a key such as `__proto__` stays a plain key.
      settings: Object.fromEntries(settings.map((row) => [row.key, row.value])),
    };
  }
}
