import { OrdoError } from '../errors/index.js';
import type { BrokerConfig } from '../config/index.js';
import { LoginLimiter } from './login-limiter.js';
import { LoginSlots } from './login-slots.js';
import { userNameError } from './names.js';
import { verifyPassword } from './passwords.js';
import { ANONYMOUS_USER, OPEN_PRINCIPAL, type PeerInfo, type Principal } from './principal.js';
import type { AuthenticateHook, AuthRequest } from './security-options.js';
import { verifyToken } from './tokens.js';
import type { UserDirectory } from './user-directory.js';
import type { Logger } from '../observability/logger.js';

/** The credentials a HELLO carries [protocol 2.1]. */
export interface Credentials {
  readonly username?: string | null | undefined;
  readonly password?: string | null | undefined;
  readonly token?: string | null | undefined;
}

/** Login checks one address may have running at once (its others wait): see LoginSlots. */
const LOGINS_AT_ONCE_PER_ADDRESS = 2;
/** Logins of one address that may wait for a slot; more are refused (retryable) rather than queued without end. */
const LOGINS_WAITING_PER_ADDRESS = 64;

/** A hash to check a password against when the user does not exist, so that a miss costs as long as a hit. */
const DECOY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

/**
 * Turns a HELLO's credentials into a principal [docs/security.md], in this
 * order: the embedder's hook, a token, a user name and password, a verified
 * client certificate, anonymous access. Every refusal is ERR_UNAUTHORIZED,
 * counted against the client's address and logged; an address past its
 * failed-login budget is refused without checking anything.
 */
export class Authenticator {
  private readonly limiter: LoginLimiter;
  private readonly slots = new LoginSlots(LOGINS_AT_ONCE_PER_ADDRESS, LOGINS_WAITING_PER_ADDRESS);

  constructor(
    private readonly config: Readonly<BrokerConfig>,
    private readonly users: UserDirectory,
    private readonly hook: AuthenticateHook | undefined,
    /** The broker's log: one warn line per failed login, with the address, the user name tried and why. */
    private readonly log: Logger,
  ) {
    this.limiter = new LoginLimiter(config.auth.maxFailedLoginsPerMinute);
  }

  /** `isWanted`: false once the connection is gone, so that a login that waited is not checked for nothing. */
  async authenticate(credentials: Credentials, peer: PeerInfo, isWanted: () => boolean = () => true): Promise<Principal> {
    if (!this.config.auth.enabled) return OPEN_PRINCIPAL;
    const free = await this.slots.acquire(peer.ip);
    if (free === undefined) {
      throw new OrdoError('ERR_TOO_MANY_CONNECTIONS', `${LOGINS_WAITING_PER_ADDRESS} logins from ${peer.ip} wait already; try again later`);
    }
    try {
      if (!isWanted()) throw new OrdoError('ERR_HANDSHAKE', 'the connection closed while its login waited');
      return await this.checkInTurn(credentials, peer);
    } finally {
      free();
    }
  }

  /** One login, while it holds one of its address's slots. */
  private async checkInTurn(credentials: Credentials, peer: PeerInfo): Promise<Principal> {
    if (this.limiter.isBlocked(peer.ip)) {
      const seconds = Math.ceil(this.limiter.retryAfterMs(peer.ip) / 1000);
      throw new OrdoError('ERR_UNAUTHORIZED', `too many failed logins from ${peer.ip}; retry in ${seconds} s`);
    }
    let refusal: string;
    try {
      const outcome = await withTimeout(this.check(credentials, peer), this.config.auth.timeoutMs);
      if (typeof outcome !== 'string') return outcome;
      refusal = outcome;
    } catch (err) {
      refusal = err instanceof TimeoutError ? `authentication took longer than ${this.config.auth.timeoutMs} ms` : `the authenticate hook failed: ${(err as Error).message}`;
    }
    this.limiter.recordFailure(peer.ip);
    this.log.warn({ event: 'login_failed', address: peer.address, user: credentials.username ?? undefined, reason: refusal }, 'login refused');
    throw new OrdoError('ERR_UNAUTHORIZED', refusal);
  }

  /** A principal, or why the login is refused. */
  private async check(c: Credentials, peer: PeerInfo): Promise<Principal | string> {
    if (this.hook !== undefined) {
      const request: AuthRequest = { username: c.username ?? undefined, password: c.password ?? undefined, token: c.token ?? undefined, address: peer.address, certificateUser: peer.certificateUser };
      const result = await this.hook(request);
      if (result === false) return 'refused by the authenticate hook';
      if (result != null) {
        const bad = userNameError(result.user);
        if (bad !== undefined) return `the authenticate hook returned a bad user: ${bad}`;
        return { user: result.user, roles: [...(result.roles ?? [])], via: 'hook' };
      }
    }
    if (c.token != null) return this.checkToken(c.token);
    if (c.username != null || c.password != null) return this.checkPassword(c.username ?? '', c.password ?? '');
    if (peer.certificateUser !== undefined) {
      // The certificate proves the name; the user must exist, so that removing it locks the certificate out.
      const user = this.users.get(peer.certificateUser);
      if (user === undefined) return `the client certificate's user ${peer.certificateUser} is not a user of this broker`;
      return { user: user.name, roles: user.roles, via: 'certificate' };
    }
    if (this.config.auth.allowAnonymous) return { user: ANONYMOUS_USER, roles: [], via: 'anonymous' };
    return 'credentials required: a user name and password, or a token';
  }

  private checkToken(token: string): Principal | string {
    const check = verifyToken(token, this.users.tokenSecret, Date.now());
    if (!check.ok) return `token refused: ${check.reason}`;
    // The secret proves the token; the directory (in memory) only tells whether its user was removed since.
    const user = this.users.get(check.claims.sub);
    if (user === undefined) return `token refused: user ${check.claims.sub} no longer exists`;
    // A user removed and made again is a new user: the old one's tokens stay dead.
    if (check.claims.iat < user.createdAt) return `token refused: issued before user ${user.name} was made`;
    return { user: user.name, roles: user.roles, via: 'token' };
  }

  private async checkPassword(name: string, password: string): Promise<Principal | string> {
    const user = this.users.get(name);
    const matches = await verifyPassword(password, user?.passwordHash ?? DECOY_HASH);
    if (user === undefined || !matches) return 'wrong user name or password';
    // Read again: the user may have been removed, or its password or roles changed, while the hash was computed.
    const now = this.users.get(name);
    if (now?.passwordHash !== user.passwordHash) return 'wrong user name or password';
    return { user: now.name, roles: now.roles, via: 'password' };
  }
}

class TimeoutError extends Error {}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new TimeoutError()), ms); });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
