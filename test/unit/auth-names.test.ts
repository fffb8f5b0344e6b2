import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NAME_PATTERN, passwordError, roleNameError, userNameError } from '../../broker/auth/index.js';

describe('user and role names', () => {
  it('accepts letters, digits and _ . @ - up to 64 characters', () => {
    for (const name of ['a', 'alice', 'Bob_2', 'svc.billing', 'ann@example.com', 'x-y', '9lives', 'a'.repeat(64)]) {
      expect(userNameError(name)).toBeUndefined();
      expect(roleNameError(name)).toBeUndefined();
    }
  });

  it('refuses names that could become a wildcard, a level break or a broker topic', () => {
    for (const name of ['', 'a/b', '+', '#', 'a+b', '{user}', '$sys', '.hidden', '-x', '_x', 'a b', 'é', 'a'.repeat(65), 'a\n']) {
      expect(userNameError(name), name).toMatch(/^user name .* must be 1 to 64/);
      expect(roleNameError(name), name).toMatch(/^role name /);
    }
  });

  it('refuses non-strings, naming the field', () => {
    expect(userNameError(42)).toBe('user name must be a string');
    expect(roleNameError(undefined)).toBe('role name must be a string');
  });

  it('agrees with NAME_PATTERN on any string', () => {
    fc.assert(fc.property(fc.string({ maxLength: 70 }), (name) => {
      expect(userNameError(name) === undefined).toBe(NAME_PATTERN.test(name));
    }));
  });
});

describe('passwords', () => {
  it('accepts 8 to 1024 characters', () => {
    expect(passwordError('12345678')).toBeUndefined();
    expect(passwordError('p'.repeat(1024))).toBeUndefined();
  });

  it('refuses shorter, longer and non-string passwords without echoing them', () => {
    expect(passwordError('1234567')).toBe('password must have 8 to 1024 characters');
    expect(passwordError('p'.repeat(1025))).toBe('password must have 8 to 1024 characters');
    expect(passwordError(12345678)).toBe('password must be a string');
  });
});
