/**
 * Bearer tokens: `ordo1.<payload>.<signature>`, where payload is the
 * base64url JSON of the claims and signature is the base64url
 * HMAC-SHA256(secret, "ordo1." + payload). Verified with the secret alone,
 * no store lookup; the caller still checks that the subject is a current user
 * (so removing a user revokes their tokens) and takes roles from the user.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { userNameError } from './names.js';

/** What a token says. Times are ms since the Unix epoch. */
export interface TokenClaims {
  /** The user the token authenticates as. */
  sub: string;
  /** When it was issued. */
  iat: number;
  /** When it stops being accepted (the first instant it is refused). */
  exp: number;
}

/** The outcome of verifyToken. reason is one of TOKEN_REJECTIONS. */
export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: string };

/** The reasons verifyToken gives, checked in this order. */
export const TOKEN_REJECTIONS = ['malformed', 'bad signature', 'bad claims', 'expired'] as const;

const PREFIX = 'ordo1';
/** Longer than any token signToken makes for a valid user name; HELLO allows 2048. */
const MAX_TOKEN_LENGTH = 4096;
const SIGNATURE_BYTES = 32;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Signs `claims` with `secret`. Throws a RangeError on an empty secret (it would sign nothing). */
export function signToken(claims: TokenClaims, secret: string): string {
  if (secret.length === 0) throw new RangeError('token secret is empty');
  const payload = Buffer.from(JSON.stringify({ sub: claims.sub, iat: claims.iat, exp: claims.exp })).toString('base64url');
  return `${PREFIX}.${payload}.${sign(payload, secret).toString('base64url')}`;
}

/**
 * Checks `token` against `secret` at time `now` (ms since epoch). The
 * signature is checked before the payload is parsed, so unsigned input never
 * reaches JSON.parse. Never throws, whatever the input.
 */
export function verifyToken(token: string, secret: string, now: number): TokenCheck {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return fail('malformed');
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) return fail('malformed');
  const [, payload, signature] = parts;
  const given = strictBase64url(signature);
  if (strictBase64url(payload) === undefined || given === undefined) return fail('malformed');
  if (typeof secret !== 'string' || secret.length === 0) return fail('bad signature');
  if (given.length !== SIGNATURE_BYTES || !timingSafeEqual(given, sign(payload, secret))) return fail('bad signature');
  const claims = parseClaims(Buffer.from(payload, 'base64url').toString('utf8'));
  if (claims === undefined) return fail('bad claims');
  if (!(now < claims.exp)) return fail('expired');
  return { ok: true, claims };
}

/** A fresh random secret for signing tokens: 32 bytes, base64url. */
export function newTokenSecret(): string {
  return randomBytes(32).toString('base64url');
}

function sign(payload: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(`${PREFIX}.${payload}`).digest();
}

function fail(reason: (typeof TOKEN_REJECTIONS)[number]): TokenCheck {
  return { ok: false, reason };
}

/** Decodes base64url, refusing text that does not re-encode to itself, so each token has one spelling. */
function strictBase64url(text: string): Buffer | undefined {
  if (!BASE64URL.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

function parseClaims(json: string): TokenClaims | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { sub, iat, exp } = value as Record<string, unknown>;
  if (userNameError(sub) !== undefined || typeof sub !== 'string') return undefined;
  if (!Number.isSafeInteger(iat) || !Number.isSafeInteger(exp)) return undefined;
  if ((iat as number) > (exp as number)) return undefined;
  return { sub, iat: iat as number, exp: exp as number };
}
