/**
 * The machinery of the fuzz tests (test/fuzz/): a seeded PRNG, and a
 * MessagePack encoder that writes any valid header form (not only the
 * shortest) and splices raw bytes where asked. Independent of
 * broker/protocol's encoder, so a bug there cannot hide behind the same bug
 * here. The generators built on it: test/fuzz/hostile-values.ts (hostile
 * values, byte mutations), client-ops.ts (client operations and frames),
 * broker-frames.ts (broker frames).
 *
 * Reproducible: every frame comes from `frameRng(seed, index)` alone, so a
 * failure names its seed and index and one frame can be replayed.
 */

/** A small fast PRNG (mulberry32): uint32 state, good enough to fuzz with. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uint32. */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.next() / 0x1_0000_0000) * n);
  }

  /** An integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** One of `choices`, each drawn with probability proportional to its weight. */
  weighted<T>(choices: readonly (readonly [number, T])[]): T {
    let total = 0;
    for (const [w] of choices) total += w;
    let r = this.int(total);
    for (const [w, value] of choices) {
      if (r < w) return value;
      r -= w;
    }
    return choices[choices.length - 1][1];
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff;
    return out;
  }
}

/** The PRNG of frame `index` of a run seeded `seed` (splitmix-style mixing, so neighbours are unrelated). */
export function frameRng(seed: number, index: number): Rng {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return new Rng((h ^ (h >>> 16)) >>> 0);
}

/** The run's seed: FUZZ_SEED when set (to replay a failure), else a fresh one. */
export function fuzzSeed(): number {
  const fromEnv = process.env.FUZZ_SEED;
  return fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) >>> 0 : (Math.random() * 0x1_0000_0000) >>> 0;
}

/** A frame count from env `name` (the npm `fuzz` script raises them), else `fallback`. */
export function fuzzCount(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
}

/** Bytes spliced into an encoding verbatim: a hostile value the encoder could not write. */
export class Raw {
  constructor(readonly bytes: Uint8Array, readonly label: string) {}
}

/** A growable byte buffer. */
class Out {
  buf = new Uint8Array(256);
  length = 0;

  push(...bytes: number[]): void {
    this.reserve(bytes.length);
    for (const b of bytes) this.buf[this.length++] = b & 0xff;
  }

  pushBytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** An unsigned big-endian integer of `width` bytes. */
  uint(value: number | bigint, width: number): void {
    let v = BigInt.asUintN(width * 8, BigInt(value));
    const bytes = new Array<number>(width);
    for (let i = width - 1; i >= 0; i--, v >>= 8n) bytes[i] = Number(v & 0xffn);
    this.push(...bytes);
  }

  take(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    grown.set(this.buf.subarray(0, this.length));
    this.buf = grown;
  }
}

const utf8 = new TextEncoder();

/**
 * Encodes `value` as MessagePack. With `rng`, a quarter of the headers take
 * a valid non-minimal form (`cd 00 01` for 1, str 32 for a short string,
 * map 32 …) that a decoder must read alike [protocol 1.5]. `undefined` is
 * nil; objects are maps of their own keys (`__proto__` included); Raw is
 * written verbatim.
 */
export function encode(value: unknown, rng?: Rng): Uint8Array {
  const out = new Out();
  write(out, value, rng);
  return out.take();
}

function write(out: Out, v: unknown, rng: Rng | undefined): void {
  if (v === null || v === undefined) out.push(0xc0);
  else if (v === false) out.push(0xc2);
  else if (v === true) out.push(0xc3);
  else if (typeof v === 'number') writeNumber(out, v, rng);
  else if (typeof v === 'bigint') writeBigint(out, v);
  else if (typeof v === 'string') writeSized(out, utf8.encode(v), [0xa0, 32, 0xd9, 0xda, 0xdb], rng);
  else if (v instanceof Raw) out.pushBytes(v.bytes);
  else if (v instanceof Uint8Array) writeSized(out, v, [-1, 0, 0xc4, 0xc5, 0xc6], rng);
  else if (Array.isArray(v)) {
    header(out, v.length, [0x90, 16, -1, 0xdc, 0xdd], rng);
    for (const item of v) write(out, item, rng);
  } else {
    const keys = Object.keys(v as object);
    header(out, keys.length, [0x80, 16, -1, 0xde, 0xdf], rng);
    for (const k of keys) {
      write(out, k, rng);
      write(out, (v as Record<string, unknown>)[k], rng);
    }
  }
}

/** A size header: [fix base, fix limit, 8-bit type (-1: none), 16-bit type, 32-bit type]. */
function header(out: Out, n: number, [fix, fixLimit, t8, t16, t32]: readonly number[], rng: Rng | undefined): void {
  const forms: (() => void)[] = [];
  if (n < fixLimit) forms.push(() => out.push(fix + n));
  if (t8 >= 0 && n < 0x100) forms.push(() => out.push(t8, n));
  if (n < 0x1_0000) forms.push(() => { out.push(t16); out.uint(n, 2); });
  forms.push(() => { out.push(t32); out.uint(n, 4); });
  (rng !== undefined && rng.chance(0.25) ? rng.pick(forms) : forms[0])();
}

function writeSized(out: Out, bytes: Uint8Array, forms: readonly number[], rng: Rng | undefined): void {
  header(out, bytes.length, forms, rng);
  out.pushBytes(bytes);
}

function writeNumber(out: Out, v: number, rng: Rng | undefined): void {
  if (!Number.isSafeInteger(v) || Object.is(v, -0)) {
    const asFloat32 = Number.isNaN(v) || Math.fround(v) === v;
    if (asFloat32 && rng?.chance(0.5)) {
      out.push(0xca);
      const b = new DataView(new ArrayBuffer(4));
      b.setFloat32(0, v);
      out.pushBytes(new Uint8Array(b.buffer));
    } else {
      out.push(0xcb);
      const b = new DataView(new ArrayBuffer(8));
      b.setFloat64(0, v);
      out.pushBytes(new Uint8Array(b.buffer));
    }
    return;
  }
  const forms: (() => void)[] = [];
  if (v >= 0 && v < 0x80) forms.push(() => out.push(v));
  if (v < 0 && v >= -32) forms.push(() => out.push(0x100 + v));
  if (v >= 0) {
    if (v < 0x100) forms.push(() => { out.push(0xcc); out.uint(v, 1); });
    if (v < 0x1_0000) forms.push(() => { out.push(0xcd); out.uint(v, 2); });
    if (v < 0x1_0000_0000) forms.push(() => { out.push(0xce); out.uint(v, 4); });
    forms.push(() => { out.push(0xcf); out.uint(v, 8); });
  }
  if (v >= -0x80 && v < 0x80) forms.push(() => { out.push(0xd0); out.uint(v, 1); });
  if (v >= -0x8000 && v < 0x8000) forms.push(() => { out.push(0xd1); out.uint(v, 2); });
  if (v >= -0x8000_0000 && v < 0x8000_0000) forms.push(() => { out.push(0xd2); out.uint(v, 4); });
  forms.push(() => { out.push(0xd3); out.uint(v, 8); });
  (rng !== undefined && rng.chance(0.25) ? rng.pick(forms) : forms[0])();
}

/** uint64 for 0 … 2^64 − 1, int64 below 0 (wrapped into 64 bits either way). */
function writeBigint(out: Out, v: bigint): void {
  out.push(v >= 0n ? 0xcf : 0xd3);
  out.uint(v, 8);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Bytes as hex, shortened past `max` bytes: how a failing frame is printed. */
export function hex(bytes: Uint8Array, max = 64): string {
  const shown = Buffer.from(bytes.subarray(0, max)).toString('hex');
  return bytes.length > max ? `${shown}… (${bytes.length} bytes)` : shown;
}
