import { OrdoError } from '../errors/index.js';
import type { UserInfo } from '../protocol/index.js';
import type { RecoveredState, StoreOp, UserRecord } from '../store/index.js';
import { Acl, aclRuleError, type AclRule, type Action } from './acl.js';
import { roleNameError, userNameError } from './names.js';
import { ANONYMOUS_USER } from './principal.js';
import { hashPassword } from './passwords.js';
import { newTokenSecret } from './tokens.js';

/** Commits a batch of store operations (the durable engine's persister). */
export type Commit = (ops: StoreOp[]) => Promise<void>;


/** The store setting that keeps the generated token secret. */
const TOKEN_SECRET_KEY = 'tokenSecret';
/** The store setting that keeps the next rule id: a removed rule's id is never given again. */
const NEXT_RULE_KEY = 'nextAclRuleId';

/**
 * The broker's users and ACL rules, held in memory and written through to the
 * store: every change resolves after its commit, so an answered `user add`
 * survives a crash. Lookups never touch the store.
 */
export class UserDirectory {
  readonly acl = new Acl();
  private readonly users = new Map<string, UserRecord>();
  private nextRuleId = 1;
  private secret = '';

  constructor(private readonly commit: Commit) {}

  /** Loads what the store recovered; makes and keeps a token secret unless the configuration names one. */
  async load(state: RecoveredState, configuredSecret: string): Promise<void> {
    for (const user of state.users) this.users.set(user.name, user);
    for (const r of state.aclRules) {
      this.acl.add({ id: r.id, subject: r.subject, action: r.action as Action, pattern: r.pattern });
      this.nextRuleId = Math.max(this.nextRuleId, r.id + 1);
    }
    this.nextRuleId = Math.max(this.nextRuleId, Number(state.settings[NEXT_RULE_KEY] ?? 0));
    this.secret = configuredSecret || (state.settings[TOKEN_SECRET_KEY] ?? '');
    if (this.secret === '') {
      this.secret = newTokenSecret();
      await this.commit([{ op: 'putSetting', key: TOKEN_SECRET_KEY, value: this.secret }]);
    }
  }

  get tokenSecret(): string {
    return this.secret;
  }

  get userCount(): number {
    return this.users.size;
  }

  get(name: string): UserRecord | undefined {
    return this.users.get(name);
  }

  list(): UserInfo[] {
    return [...this.users.values()].sort((a, b) => a.name.localeCompare(b.name)).map(infoOf);
  }

  async add(name: string, password: string, roles: readonly string[]): Promise<UserInfo> {
    checkName(name);
    checkRoles(roles);
    if (name === ANONYMOUS_USER) throw new OrdoError('ERR_BAD_REQUEST', `'${ANONYMOUS_USER}' is the name of clients that log in without credentials`);
    if (this.users.has(name)) throw new OrdoError('ERR_CONFLICT', `user ${name} exists (ordo user passwd changes a password)`);
    const user: UserRecord = { name, passwordHash: await hashPassword(password), roles: [...new Set(roles)], createdAt: Date.now() };
    // Checked again: another add of the same name may have finished while the hash was computed.
    if (this.users.has(name)) throw new OrdoError('ERR_CONFLICT', `user ${name} exists`);
    this.users.set(name, user);
    await this.commit([{ op: 'putUser', user }]);
    return infoOf(user);
  }

  async remove(name: string): Promise<boolean> {
    if (!this.users.delete(name)) return false;
    await this.commit([{ op: 'deleteUser', name }]);
    return true;
  }

  async setPassword(name: string, password: string): Promise<void> {
    const passwordHash = await hashPassword(password);
    const user = this.need(name);
    const changed = { ...user, passwordHash };
    this.users.set(name, changed);
    await this.commit([{ op: 'putUser', user: changed }]);
  }

  async setRoles(name: string, roles: readonly string[]): Promise<UserInfo> {
    checkRoles(roles);
    const changed = { ...this.need(name), roles: [...new Set(roles)] };
    this.users.set(name, changed);
    await this.commit([{ op: 'putUser', user: changed }]);
    return infoOf(changed);
  }

  async addRule(input: { subject?: unknown; action?: unknown; pattern?: unknown }): Promise<AclRule> {
    const bad = aclRuleError(input);
    if (bad !== undefined) throw new OrdoError('ERR_BAD_REQUEST', bad);
    const rule: AclRule = { id: this.nextRuleId++, subject: input.subject as string, action: input.action as Action, pattern: input.pattern as string };
    this.acl.add(rule);
    await this.commit([
      { op: 'putAclRule', rule: { ...rule, createdAt: Date.now() } },
      { op: 'putSetting', key: NEXT_RULE_KEY, value: String(this.nextRuleId) },
    ]);
    return rule;
  }

  /** Removes rule `id`; returns the rule removed. */
  async removeRule(id: number): Promise<AclRule | undefined> {
    const rule = this.acl.get(id);
    if (rule === undefined || !this.acl.remove(id)) return undefined;
    await this.commit([{ op: 'deleteAclRule', id }]);
    return rule;
  }

  private need(name: string): UserRecord {
    const user = this.users.get(name);
    if (user === undefined) throw new OrdoError('ERR_NOT_FOUND', `no user ${name}`);
    return user;
  }
}

function infoOf(user: UserRecord): UserInfo {
  return { user: user.name, roles: [...user.roles], createdAt: user.createdAt };
}

function checkName(name: string): void {
  const bad = userNameError(name);
  if (bad !== undefined) throw new OrdoError('ERR_BAD_REQUEST', bad);
}

function checkRoles(roles: readonly string[]): void {
  for (const role of roles) {
    const bad = roleNameError(role);
    if (bad !== undefined) throw new OrdoError('ERR_BAD_REQUEST', bad);
  }
}
