import { ClientOp, type AclRuleAction, type AclRuleInfo, type TokenInfo, type UserInfo } from '../broker/protocol/index.js';

/** What the security administration needs of its client: one request, one answer (see OrdoClient.call). */
export interface AdminChannel {
  call(head: unknown[], ...rest: unknown[]): Promise<unknown>;
}

/**
 * The broker's users [protocol 2.18], as `client.users`. Every call needs an
 * administrator (role `admin`, or `admin` on `#`) when the broker has
 * authentication on, and works with it off too, so users can be made before
 * switching it on. Refusals: ERR_FORBIDDEN (not an administrator),
 * ERR_CONFLICT (the user exists), ERR_NOT_FOUND (no such user),
 * ERR_BAD_REQUEST (a bad name, password or role).
 */
export class UserAdmin {
  constructor(private readonly channel: AdminChannel) {}

  /** Makes user `name` with `password` (8 to 1024 characters) and `roles` (default none). */
  async add(name: string, password: string, options: { roles?: readonly string[] } = {}): Promise<UserInfo> {
    return await this.channel.call([ClientOp.user], 'add', name, { password, ...(options.roles !== undefined && { roles: options.roles }) }) as UserInfo;
  }

  /** Removes user `name`: their connections are closed and their tokens stop working. False when there was none. */
  async remove(name: string): Promise<boolean> {
    const { removed } = await this.channel.call([ClientOp.user], 'remove', name, null) as { removed: boolean };
    return removed;
  }

  /** Sets the password of user `name`; their connections stay. */
  async passwd(name: string, password: string): Promise<void> {
    await this.channel.call([ClientOp.user], 'passwd', name, { password });
  }

  /** Replaces the roles of user `name`; their connections are asked to connect again (ERR_GRANTS_CHANGED). */
  async setRoles(name: string, roles: readonly string[]): Promise<UserInfo> {
    return await this.channel.call([ClientOp.user], 'roles', name, { roles }) as UserInfo;
  }

  /** Every user with their roles, by name. */
  async list(): Promise<UserInfo[]> {
    return await this.channel.call([ClientOp.user], 'list', null, null) as UserInfo[];
  }
}

/** A new ACL rule: `subject` is `user:<name>` or `role:<name>`; `pattern` a topic pattern, `{user}` allowed as a level. */
export interface AclRuleInput {
  subject: string;
  action: AclRuleAction;
  pattern: string;
}

/**
 * The broker's access control list [protocol 2.19], as `client.acl`:
 * allow-only rules, deny by default once authentication is on. Needs an
 * administrator, as UserAdmin.
 */
export class AclAdmin {
  constructor(private readonly channel: AdminChannel) {}

  /** Every rule, oldest first. */
  async list(): Promise<AclRuleInfo[]> {
    return await this.channel.call([ClientOp.acl], 'list', null) as AclRuleInfo[];
  }

  /** Adds a rule; resolves with it and the id the broker gave it. */
  async add(rule: AclRuleInput): Promise<AclRuleInfo> {
    const { subject, action, pattern } = rule;
    return await this.channel.call([ClientOp.acl], 'add', { subject, action, pattern }) as AclRuleInfo;
  }

  /** Removes rule `id`; the users it applied to are asked to connect again. False when there was none. */
  async remove(id: number): Promise<boolean> {
    const { removed } = await this.channel.call([ClientOp.acl], 'remove', { id }) as { removed: boolean };
    return removed;
  }
}

/** Bearer tokens [protocol 2.20], as `client.tokens`. */
export class TokenAdmin {
  constructor(private readonly channel: AdminChannel) {}

  /**
   * Makes a token that logs in as `user` (default: this connection's own
   * user; another needs an administrator) for `ttlMs` (1000 to the broker's
   * auth.maxTokenTtlMs). The broker keeps no copy: it checks the signature,
   * and that the user still exists, at each login.
   */
  async create(options: { user?: string; ttlMs: number }): Promise<TokenInfo> {
    const { user, ttlMs } = options;
    return await this.channel.call([ClientOp.token], { ...(user !== undefined && { user }), ttlMs }) as TokenInfo;
  }
}
