import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newTokenSecret, signToken, verifyToken, type TokenClaims } from '../../broker/auth/index.js';

const SECRET = 'test-secret-0123456789';
const NOW = 1_700_000_000_000;
const CLAIMS: TokenClaims = { sub: 'alice', iat: NOW, exp: NOW + 60_000 };

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const b64url = (text: string): string => Buffer.from(text).toString('base64url');

/** A token over any payload text, signed correctly: for claims signToken would never write. */
function signRaw(payloadJson: string, secret = SECRET): string {
  const payload = b64url(payloadJson);
  const signature = createHmac('sha256', secret).update(`ordo1.${payload}`).digest('base64url');
  return `ordo1.${payload}.${signature}`;
}

function reasonOf(token: string, secret = SECRET, now = NOW): string {
  const check = verifyToken(token, secret, now);
  return check.ok ? 'ok' : check.reason;
}

describe('signToken / verifyToken', () => {
  it('round-trips the claims', () => {
    expect(verifyToken(signToken(CLAIMS, SECRET), SECRET, NOW)).toEqual({ ok: true, claims: CLAIMS });
  });

  it('writes ordo1.<base64url JSON>.<base64url HMAC-SHA256 of "ordo1." + payload>', () => {
    const [prefix, payload, signature] = signToken(CLAIMS, SECRET).split('.');
    expect(prefix).toBe('ordo1');
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toEqual(CLAIMS);
    expect(signature).toBe(createHmac('sha256', SECRET).update(`ordo1.${payload}`).digest('base64url'));
  });

  it('refuses a token signed with another secret', () => {
    expect(reasonOf(signToken(CLAIMS, 'another-secret'))).toBe('bad signature');
  });

  it('refuses a forged signature', () => {
    const [prefix, payload] = signToken(CLAIMS, SECRET).split('.');
    expect(reasonOf(`${prefix}.${payload}.${randomBytes(32).toString('base64url')}`)).toBe('bad signature');
    expect(reasonOf(`${prefix}.${payload}.${randomBytes(16).toString('base64url')}`)).toBe('bad signature');
  });

  it('refuses a tampered payload under the original signature', () => {
    const [, , signature] = signToken(CLAIMS, SECRET).split('.');
    for (const claims of [{ ...CLAIMS, sub: 'admin' }, { ...CLAIMS, exp: CLAIMS.exp + 1 }]) {
      expect(reasonOf(`ordo1.${b64url(JSON.stringify(claims))}.${signature}`)).toBe('bad signature');
    }
  });

  it('expires at exp, not after', () => {
    const token = signToken(CLAIMS, SECRET);
    expect(reasonOf(token, SECRET, CLAIMS.exp - 1)).toBe('ok');
    expect(reasonOf(token, SECRET, CLAIMS.exp)).toBe('expired');
    expect(reasonOf(token, SECRET, CLAIMS.exp + 86_400_000)).toBe('expired');
  });

  it('refuses malformed tokens', () => {
    const [, payload, signature] = signToken(CLAIMS, SECRET).split('.');
    // The last base64url character of 32 bytes carries 2 unused bits: flipping one spells the same bytes.
    const respelled = signature.slice(0, -1) + ALPHABET[ALPHABET.indexOf(signature.at(-1)!) ^ 1];
    expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
    const cases = [
      '', 'ordo1', 'ordo1..', `ordo2.${payload}.${signature}`, `ordo1.${payload}`, `ordo1.${payload}.${signature}.x`,
      `ordo1.${payload}=.${signature}`, `ordo1.${payload}.${signature}=`, `ordo1.${payload}.${signature.slice(0, -1)}+`,
      `ordo1.${payload}.${respelled}`, `ordo1.${'A'.repeat(5000)}.${signature}`,
    ];
    for (const token of cases) expect(reasonOf(token), token).toMatch(/^(malformed|bad signature)$/);
    expect(reasonOf(`ordo1.${payload}.${respelled}`)).toBe('malformed');
    expect(reasonOf('ordo1')).toBe('malformed');
    expect(reasonOf(`ordo1.${payload}.${signature}=`)).toBe('malformed');
  });

  it('refuses correctly signed tokens with bad claims', () => {
    const payloads = [
      'not json', 'null', '[]', '"alice"', '{}',
      JSON.stringify({ ...CLAIMS, sub: 'a/b' }), JSON.stringify({ ...CLAIMS, sub: '' }), JSON.stringify({ ...CLAIMS, sub: 7 }),
      JSON.stringify({ ...CLAIMS, iat: NOW + 0.5 }), JSON.stringify({ ...CLAIMS, exp: String(CLAIMS.exp) }),
      JSON.stringify({ sub: 'alice', iat: NOW }), JSON.stringify({ ...CLAIMS, iat: CLAIMS.exp + 1 }),
    ];
    for (const payload of payloads) expect(reasonOf(signRaw(payload)), payload).toBe('bad claims');
  });

  it('keeps only sub, iat and exp from a payload with extra fields', () => {
    const check = verifyToken(signRaw(JSON.stringify({ ...CLAIMS, roles: ['admin'] })), SECRET, NOW);
    expect(check).toEqual({ ok: true, claims: CLAIMS });
  });

  it('refuses everything under an empty secret, and will not sign with one', () => {
    expect(reasonOf(signRaw(JSON.stringify(CLAIMS), ''), '')).toBe('bad signature');
    expect(() => signToken(CLAIMS, '')).toThrow(RangeError);
  });

  it('never throws and never accepts random input', () => {
    const pieces = fc.oneof(fc.string(), fc.base64String(), fc.constantFrom('ordo1', '.', 'ordo1.', b64url(JSON.stringify(CLAIMS))));
    const tokens = fc.oneof(fc.string({ maxLength: 300 }), fc.array(pieces, { maxLength: 6 }).map((parts) => parts.join('')));
    fc.assert(fc.property(tokens, fc.string(), fc.double(), (token, secret, now) => {
      expect(verifyToken(token, secret, now).ok).toBe(false);
    }), { numRuns: 1000 });
    fc.assert(fc.property(fc.anything(), fc.anything(), (token, secret) => {
      expect(verifyToken(token as string, secret as string, NOW).ok).toBe(false);
    }));
  });
});

describe('newTokenSecret', () => {
  it('makes 32 random bytes, base64url', () => {
    const a = newTokenSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(newTokenSecret()).not.toBe(a);
  });
});
