import { OrdoError } from '../errors/index.js';
import type { BrokerConfig } from '../config/index.js';
import type { RecoveredState } from '../store/index.js';
import { ADMIN_ROLE, type Action } from './acl.js';
import { Authenticator, type Credentials } from './authenticator.js';
import { passwordError } from './names.js';
import type { PeerInfo, Principal } from './principal.js';
import type { SecurityOptions } from './security-options.js';
import { UserDirectory, type Commit } from './user-directory.js';
import type { Logger } from '../observability/logger.js';

/**
 * Characters of allowed names remembered per principal (about 64 KiB); past it
 * the memory starts again, so a client cycling through long topics costs no more.
 */
const MAX_REMEMBERED_CHARS = 32 * 1024;

/** The first admin's name, made at the first start with auth on [docs/security.md]. */
const FIRST_ADMIN = 'admin';

/**
 * Authentication and authorization of the broker: who a connection is
 * (authenticate) and what it may do (may, mayPattern). With auth off every
 * principal is OPEN and everything is allowed; users and rules can still be
 * managed, so they are ready when auth is switched on.
 */
export class Security {
  readonly users: UserDirectory;
  private readonly authenticator: Authenticator;
  /** Per principal (one login), the names it was allowed, by action. */
  private readonly allowed = new WeakMap<Principal, AllowedNames>();

  /** `log`: the broker's log, for failed logins and the first admin [docs/operations.md, Logs]. */
  constructor(private readonly config: Readonly<BrokerConfig>, commit: Commit, private readonly options: SecurityOptions, private readonly log: Logger) {
    this.users = new UserDirectory(commit);
    this.authenticator = new Authenticator(config, this.users, options.authenticate, log);
  }

  /** Loads users and rules; with auth on and no users, makes the first admin or refuses to start. */
  async start(state: RecoveredState): Promise<void> {
    await this.users.load(state, this.config.auth.tokenSecret);
    const password = (this.options.adminPassword ?? process.env.ORDO_ADMIN_PASSWORD) || undefined; // '' is none
    if (!this.config.auth.enabled) return;
    if (this.users.userCount > 0) {
      // Users made earlier (perhaps while auth was off, by anyone who could reach the broker) stay as they are.
      if (password !== undefined) this.log.warn({ event: 'admin_password_ignored', users: this.users.userCount }, 'ORDO_ADMIN_PASSWORD ignored: the store has users already');
      return;
    }
    if (password === undefined) {
      // An embedder's hook may be all the authentication it needs.
      if (this.options.authenticate !== undefined) return;
      throw new OrdoError('ERR_BAD_CONFIG', `auth is on and there are no users: set ORDO_ADMIN_PASSWORD to create user '${FIRST_ADMIN}' on this first start`);
    }
    const bad = passwordError(password);
    if (bad !== undefined) throw new OrdoError('ERR_BAD_CONFIG', `ORDO_ADMIN_PASSWORD: ${bad}`);
    await this.users.add(FIRST_ADMIN, password, [ADMIN_ROLE]);
    this.log.info({ event: 'admin_created', user: FIRST_ADMIN }, `first administrator ${FIRST_ADMIN} created`);
  }

  authenticate(credentials: Credentials, peer: PeerInfo, isWanted?: () => boolean): Promise<Principal> {
    return this.authenticator.authenticate(credentials, peer, isWanted);
  }

  /**
   * May `who` do `action` on the topic or queue `name`? Checked on every
   * publish, so what was allowed is remembered per principal: a live
   * principal's grants only ever widen (a rule added), since whatever
   * narrows them (a rule removed, roles changed, the user removed) closes
   * its connections, and the next login is a new principal. Refusals are
   * not remembered: a rule added may allow them.
   */
  may(who: Principal, action: Action, name: string): boolean {
    if (who.via === 'open') return true;
    let allowed = this.allowed.get(who);
    if (allowed?.has(action, name) === true) return true;
    if (!this.users.acl.allows(who, action, name)) return false;
    if (allowed === undefined) this.allowed.set(who, allowed = new AllowedNames());
    allowed.add(action, name);
    return true;
  }

  /** May `who` do `action` on everything `pattern` matches? */
  mayPattern(who: Principal, action: Action, pattern: string): boolean {
    return who.via === 'open' || this.users.acl.allowsPattern(who, action, pattern);
  }

  /** Broker-wide administration (users, rules, other users' tokens, stats, the queue list): admin on `#`. */
  isAdmin(who: Principal): boolean {
    return this.mayPattern(who, 'admin', '#');
  }
}

/** The names one principal was allowed, by action, up to {@link MAX_REMEMBERED_CHARS}. Looked up without building a key per message. */
class AllowedNames {
  private readonly byAction = new Map<Action, Set<string>>();
  private chars = 0;

  has(action: Action, name: string): boolean {
    return this.byAction.get(action)?.has(name) === true;
  }

  add(action: Action, name: string): void {
    if (this.chars + name.length > MAX_REMEMBERED_CHARS) {
      this.byAction.clear();
      this.chars = 0;
    }
    let names = this.byAction.get(action);
    if (names === undefined) this.byAction.set(action, names = new Set());
    names.add(name);
    this.chars += name.length;
  }
}
