import { scryptSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../broker/auth/index.js';

const FORMAT = /^scrypt\$16384\$8\$1\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

/** A hash in the stored form with chosen parameters, made independently of hashPassword. */
function hashWith(password: string, N: number, r: number, p: number, salt = Buffer.alloc(16, 7), keyLength = 32): string {
  const key = scryptSync(password, salt, keyLength, { N, r, p, maxmem: 256 * 1024 * 1024 });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

describe('hashPassword', () => {
  it('stores scrypt N=16384 r=8 p=1 with a 16-byte salt and a 32-byte key', async () => {
    const hash = await hashPassword('correct horse');
    const m = FORMAT.exec(hash);
    expect(m).not.toBeNull();
    expect(Buffer.from(m![1], 'base64')).toHaveLength(16);
    expect(Buffer.from(m![2], 'base64')).toHaveLength(32);
  });

  it('is the scrypt key of the password and salt it stores', async () => {
    const hash = await hashPassword('correct horse');
    const [, , , , salt, key] = hash.split('$');
    const expected = scryptSync('correct horse', Buffer.from(salt, 'base64'), 32, { N: 16384, r: 8, p: 1 });
    expect(key).toBe(expected.toString('base64'));
  });

  it('salts every hash afresh', async () => {
    const [a, b] = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
    expect(a).not.toBe(b);
  });
});

describe('verifyPassword', () => {
  it('accepts the right password and refuses others', async () => {
    const hash = await hashPassword('correct horse');
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct hors', hash)).toBe(false);
    expect(await verifyPassword('Correct horse', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('handles non-ASCII passwords', async () => {
    const hash = await hashPassword('pässwörd-密码');
    expect(await verifyPassword('pässwörd-密码', hash)).toBe(true);
    expect(await verifyPassword('passwort-密码', hash)).toBe(false);
  });

  it('reads the cost from the stored hash, so older or cheaper hashes still verify', async () => {
    const hash = hashWith('old password', 1024, 4, 2, Buffer.alloc(32, 1), 64);
    expect(await verifyPassword('old password', hash)).toBe(true);
    expect(await verifyPassword('new password', hash)).toBe(false);
  });

  it('gives false for malformed hashes', async () => {
    const good = hashWith('secret pw', 1024, 8, 1);
    const [, , , , salt, key] = good.split('$');
    const malformed = [
      '', 'garbage', 'scrypt', good + '$', good.replace('scrypt', 'bcrypt'),
      good.slice(0, -1), // padding dropped: not canonical base64
      `scrypt$1000$8$1$${salt}$${key}`, // N not a power of two
      `scrypt$01024$8$1$${salt}$${key}`, // not canonical
      `scrypt$1024$0$1$${salt}$${key}`,
      `scrypt$1024$8$1$${salt}$!!${key}`, // not base64
      `scrypt$1024$8$1$${salt}$${key.slice(0, 8)}`, // key too short
      `scrypt$1024$8$1$$${key}`, // no salt
    ];
    for (const hash of malformed) expect(await verifyPassword('secret pw', hash), hash).toBe(false);
  });

  it('refuses parameters that would cost gigabytes or minutes, without trying them', async () => {
    const [, , , , salt, key] = hashWith('secret pw', 1024, 8, 1).split('$');
    const started = process.memoryUsage().rss;
    for (const [N, r, p] of [[2 ** 30, 8, 1], [16384, 1024, 1], [16384, 8, 1_000_000], [2 ** 20, 8, 1], [65536, 8, 16]]) {
      expect(await verifyPassword('secret pw', `scrypt$${N}$${r}$${p}$${salt}$${key}`)).toBe(false);
    }
    // Guards against an accidental allocation; 2^30·8·128 bytes would be a terabyte.
    expect(process.memoryUsage().rss - started).toBeLessThan(512 * 1024 * 1024);
  });

  it('never throws, whatever the stored hash or password', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 200 }), fc.anything(), async (hash, password) => {
      expect(await verifyPassword(password as string, hash)).toBe(false);
    }), { numRuns: 200 });
    expect(await verifyPassword('x', undefined as unknown as string)).toBe(false);
  });
});
