/**
 * auth/: who a connection is (authentication) and what it may do
 * (authorization).
 *
 * Invariants:
 * - The building blocks here (names, passwords, tokens, pattern cover, ACL,
 *   login limiter) are pure apart from node:crypto's randomness and threadpool
 *   and the limiter's injectable clock; they never touch sockets or the store.
 * - The ACL is allow-only and denies by default; role `admin` is built in and
 *   allowed everything, so no rule change can lock every administrator out.
 * - A wildcard subscription is allowed only when one rule covers it whole
 *   (patternCovers), never narrowed silently.
 * - Failures are reported as values (string errors, TokenCheck, false):
 *   nothing here throws on peer input.
 */
export { NAME_PATTERN, MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH, userNameError, roleNameError, passwordError } from './names.js';
export { hashPassword, verifyPassword } from './passwords.js';
export { signToken, verifyToken, newTokenSecret, TOKEN_REJECTIONS } from './tokens.js';
export type { TokenClaims, TokenCheck } from './tokens.js';
export { patternCovers } from './pattern-cover.js';
export { ACTIONS, ADMIN_ROLE, USER_LEVEL, Acl, aclRuleError } from './acl.js';
export type { Action, AclRule, Grantee } from './acl.js';
export { LoginLimiter, MAX_ADDRESSES } from './login-limiter.js';
