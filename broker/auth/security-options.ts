/** What an authenticate hook is asked [docs/security.md]. */
export interface AuthRequest {
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly token?: string | undefined;
  /** The client's `ip:port`. */
  readonly address: string;
  /** The CN of a verified client certificate. */
  readonly certificateUser?: string | undefined;
}

/** An accepted login: the user, and its roles (which the ACL's `role:` rules name). */
export interface AuthResult {
  readonly user: string;
  readonly roles?: readonly string[];
}

/**
 * The embedder's authentication: an AuthResult accepts, null or undefined
 * defers to the broker's own users and tokens, false (or a throw) refuses.
 */
export type AuthenticateHook = (req: AuthRequest) => AuthResult | null | undefined | false | Promise<AuthResult | null | undefined | false>;

/** startBroker's options that are code, not configuration. */
export interface SecurityOptions {
  authenticate?: AuthenticateHook | undefined;
  /** The first admin's password when auth starts with no users; default: env ORDO_ADMIN_PASSWORD. */
  adminPassword?: string | undefined;
}
