import { DEAD_LETTER_SUFFIX } from '../queues/index.js';

/**
 * User names, role names and passwords: the checks every entry point (wire
 * ops, CLI, config, the first-start admin) applies before storing one.
 */

/**
 * A user or role name: 1 to 64 characters, letters, digits and `_ . @ -`,
 * starting with a letter or digit. It holds none of `/ + # { $`, so putting
 * a name in place of `{user}` in an ACL pattern always yields one plain topic
 * level, never a wildcard or a broker (`$`) topic.
 */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

/** Shortest password accepted, in characters. */
export const MIN_PASSWORD_LENGTH = 8;
/** Longest password accepted, in characters (the HELLO frame allows no more). */
export const MAX_PASSWORD_LENGTH = 1024;

const NAME_RULE = '1 to 64 letters, digits or _ . @ -, starting with a letter or digit';

/** Why `name` cannot be a user name, or undefined when it can. */
export function userNameError(name: unknown): string | undefined {
  // `{user}` in a rule like `inbox/{user}` must not reach `inbox/bob.dlq`, bob's dead-letter queue.
  if (typeof name === 'string' && name.endsWith(DEAD_LETTER_SUFFIX)) return `a user name must not end with '${DEAD_LETTER_SUFFIX}' (the suffix of dead-letter queues)`;
  return nameError('user name', name);
}

/** Why `name` cannot be a role name, or undefined when it can. */
export function roleNameError(name: unknown): string | undefined {
  return nameError('role name', name);
}

/** Why `pw` cannot be a password, or undefined when it can. Never echoes the password. */
export function passwordError(pw: unknown): string | undefined {
  if (typeof pw !== 'string') return 'password must be a string';
  if (pw.length < MIN_PASSWORD_LENGTH || pw.length > MAX_PASSWORD_LENGTH) {
    return `password must have ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`;
  }
  return undefined;
}

function nameError(field: string, name: unknown): string | undefined {
  if (typeof name !== 'string') return `${field} must be a string`;
  // Show only a bounded, printable prefix of a bad name: it goes into replies and logs.
  if (!NAME_PATTERN.test(name)) return `${field} ${JSON.stringify(name.slice(0, 80))} must be ${NAME_RULE}`;
  return undefined;
}
