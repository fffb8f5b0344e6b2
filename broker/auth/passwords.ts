/**
 * Password hashing with scrypt. Stored form:
 * `scrypt$<N>$<r>$<p>$<salt base64>$<key base64>`, so the cost can be raised
 * later without invalidating existing hashes: verification reads it back.
 *
 * Uses the async crypto.scrypt, which runs on libuv's threadpool: a login
 * costs ~16 MiB and tens of milliseconds there, not on the event loop.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost for new hashes: N (CPU/memory), r (block size), p (parallelism). */
const COST = { N: 16384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;

/**
 * Bounds on parameters read from a stored hash. A corrupt or hostile hash
 * must not make verification take gigabytes or minutes: memory is about
 * 128·N·r bytes, time about N·r·p.
 */
const MAX_MEMORY_BYTES = 64 * 1024 * 1024;
const MAX_WORK = 2 ** 22; // N·r·p; new hashes use 2^17
const MAX_P = 16;
const SALT_RANGE = [8, 64] as const;
const KEY_RANGE = [16, 64] as const;

/** Hashes `password` with a fresh random salt, in the stored form above. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scryptKey(password, salt, KEY_BYTES, COST.N, COST.r, COST.p);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/**
 * True when `password` matches `hash`. A malformed hash, or one whose
 * parameters are out of bounds, gives false; never throws.
 */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  if (typeof password !== 'string') return false;
  const parsed = parseHash(hash);
  if (parsed === undefined) return false;
  try {
    const key = await scryptKey(password, parsed.salt, parsed.key.length, parsed.N, parsed.r, parsed.p);
    return timingSafeEqual(key, parsed.key);
  } catch {
    return false;
  }
}

interface ParsedHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly key: Buffer;
}

function parseHash(hash: unknown): ParsedHash | undefined {
  if (typeof hash !== 'string' || hash.length > 512) return undefined;
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map(parseSmallInt);
  const salt = strictBase64(parts[4]);
  const key = strictBase64(parts[5]);
  if (N === undefined || r === undefined || p === undefined || salt === undefined || key === undefined) return undefined;
  const isPowerOfTwo = N >= 2 && (N & (N - 1)) === 0;
  if (!isPowerOfTwo || r < 1 || p < 1 || p > MAX_P) return undefined;
  if (128 * N * r > MAX_MEMORY_BYTES || N * r * p > MAX_WORK) return undefined;
  if (!inRange(salt.length, SALT_RANGE) || !inRange(key.length, KEY_RANGE)) return undefined;
  return { N, r, p, salt, key };
}

function parseSmallInt(text: string): number | undefined {
  return /^[1-9][0-9]{0,7}$/.test(text) ? Number(text) : undefined;
}

/** Decodes base64, refusing anything that does not re-encode to itself (Buffer.from skips bad characters). */
function strictBase64(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64');
  return bytes.length > 0 && bytes.toString('base64') === text ? bytes : undefined;
}

function inRange(n: number, [min, max]: readonly [number, number]): boolean {
  return n >= min && n <= max;
}

function scryptKey(password: string, salt: Buffer, keyLength: number, N: number, r: number, p: number): Promise<Buffer> {
  // OpenSSL needs 128·r·(N + p + 2) bytes; Node's default maxmem (32 MiB) is
  // too tight for stored hashes with larger parameters, so size it to the job.
  const options: ScryptOptions = { N, r, p, maxmem: 128 * r * (N + p + 2) + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}
