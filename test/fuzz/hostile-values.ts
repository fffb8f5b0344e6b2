import { concat, encode, Raw, type Rng } from '../helpers/fuzz-frames.js';

/**
 * Hostile MessagePack values as raw bytes — nesting deeper than a decoder's
 * stack, lengths claiming 4 GiB, msgpackr's own extension types (timestamps,
 * bigints, Set, Error, RegExp, typed arrays, records, bundled strings,
 * structured-clone ids), bad UTF-8, NaN payloads — values of every type at
 * the edges of the protocol's ranges, and byte-level mutations of frames.
 */

const u32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const raw = (label: string, ...parts: (number[] | Uint8Array)[]): Raw =>
  new Raw(concat(...parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)))), label);

/** An extension value of `type` around `data`, in a fixext or ext 8/16/32 form that fits. */
export function extension(type: number, data: Uint8Array, rng: Rng): Raw {
  const fixed = [1, 2, 4, 8, 16].indexOf(data.length);
  const forms: number[][] = [];
  if (fixed >= 0) forms.push([0xd4 + fixed, type]);
  if (data.length < 0x100) forms.push([0xc7, data.length, type]);
  if (data.length < 0x1_0000) forms.push([0xc8, data.length >> 8, data.length & 0xff, type]);
  forms.push([0xc9, ...u32(data.length), type]);
  return raw(`ext ${type}`, rng.pick(forms), data);
}

/** Nesting `depth` deep: arrays of one, maps of one, or both in turn. */
export function deepNesting(depth: number, rng: Rng): Raw {
  const kind = rng.int(3);
  const unit = kind === 0 ? [0x91] : kind === 1 ? [0x81, 0xa1, 0x6b] : [0x91, 0x81, 0xa1, 0x6b];
  const bytes = new Uint8Array(depth * unit.length + 1);
  bytes.set(unit);
  for (let filled = unit.length; filled < bytes.length - 1; filled *= 2) bytes.copyWithin(filled, 0, Math.min(filled, bytes.length - 1 - filled));
  bytes[bytes.length - 1] = 0xc0;
  return new Raw(bytes, `nesting ${depth}`);
}

/** A str/bin/array/map/ext header claiming up to 4 GiB, followed by a few bytes only. */
export function hugeLength(rng: Rng): Raw {
  const n = rng.chance(0.5) ? 0xffff_ffff : rng.range(0x10_0000, 0x7fff_ffff);
  const tail = rng.bytes(rng.int(12));
  const small = rng.range(tail.length + 1, 0xffff);
  return rng.pick([
    () => raw('str32 4G', [0xdb, ...u32(n)], tail),
    () => raw('bin32 4G', [0xc6, ...u32(n)], tail),
    () => raw('array32 4G', [0xdd, ...u32(n)], tail),
    () => raw('map32 4G', [0xdf, ...u32(n)], tail),
    () => raw('ext32 4G', [0xc9, ...u32(n), rng.next() & 0xff], tail),
    () => raw('str16 short', [0xda, small >> 8, small & 0xff], tail),
    () => raw('array16 short', [0xdc, small >> 8, small & 0xff], tail),
    () => raw('bin8 short', [0xc4, Math.min(small, 255)], tail),
  ])();
}

/** Element sizes of msgpackr's typed-array codes (ext 0x74): Int8 … BigUint64. */
const TYPED_ARRAY_SIZES = [1, 1, 1, 2, 2, 4, 4, 4, 8, 8, 8];
/** The cases of msgpackrExtension whose bodies msgpackr decodes without error. */
const DECODABLE_EXTENSIONS = [0, 1, 2, 3, 4, 5, 7, 9];

/**
 * msgpackr's own extension codes, with bodies crafted to reach their
 * decoders. With `decodable`, only bodies msgpackr accepts (the value then
 * reaches the broker's handlers); otherwise malformed ones too.
 */
export function msgpackrExtension(rng: Rng, decodable = false): Raw {
  const str = (s: string): number[] => [...encode(s)];
  switch (decodable ? rng.pick(DECODABLE_EXTENSIONS) : rng.int(11)) {
    case 0: { // timestamp (-1): 4, 8 and 12 bytes are valid, other lengths are not
      const len = decodable ? rng.pick([4, 8, 12]) : rng.pick([4, 8, 12, 0, 1, 3, 16]);
      return len === 0 ? raw('timestamp 0', [0xc7, 0, 0xff]) : extension(0xff, rng.bytes(len), rng);
    }
    case 1: return extension(0x42, rng.bytes(rng.pick([1, 8, 9, 64, rng.range(1, 2048)])), rng); // bigint
    case 2: return raw('set', [0xd4, 0x73, 0], encode(rng.pick([[1, 2], [], 'x', 3]))); // Set of the next value
    case 3: return raw('error', [0xd4, 0x65, 0], encode(rng.pick([ // Error of the next value
      ['TypeError', 'boom', null], ['constructor', 'x'], ['toString'], ['hasOwnProperty', 'x'], ['x'], [], 7,
    ])));
    case 4: return raw('regexp', [0xd4, 0x78, 0], encode(decodable // RegExp of the next value
      ? rng.pick([['(a+)+$', 'g'], ['x', 'i'], ['', '']])
      : rng.pick([['(a+)+$', 'g'], ['[', ''], ['x', 'zz'], 5])));
    case 5: { // typed array: a code, then bytes (a whole number of elements, when decodable)
      const code = decodable ? rng.int(TYPED_ARRAY_SIZES.length) : rng.int(20);
      const length = decodable ? (TYPED_ARRAY_SIZES[code] ?? 1) * rng.int(5) : rng.int(17);
      return extension(0x74, Uint8Array.from([code, ...rng.bytes(length)]), rng);
    }
    case 6: return extension(rng.pick([0x69, 0x70]), Uint8Array.from(u32(rng.int(4))), rng); // structured-clone id/pointer
    case 7: return raw('undefined', [0xd4, 0, 0]);
    case 8: { // bundled strings: a size that points anywhere, then two strings and a value
      const size = rng.pick([0, 4, 0xffff_ffff, 0x8000_0000, rng.int(64)]);
      return raw('bundle', [0xd6, 0x62, ...u32(size)], str('ab'), str('cd'), rng.bytes(rng.int(6)));
    }
    case 9: { // a record definition (id 0–63), then records reusing it: fixints 0x40–0x7f change meaning
      const id = rng.int(64);
      const keys = rng.pick([['a'], ['__proto__', 'b'], ['constructor'], [1, 2], ['x', 'y', 'z']]);
      const uses = rng.range(0, 5);
      const rec: number[] = [];
      for (let i = 0; i < uses; i++) rec.push(0x40 | id, ...keys.flatMap(() => [0xc0]));
      return raw(`record ${id}`, [0xd4, 0x72, id], encode(keys), keys.flatMap(() => [0x01]), rec);
    }
    default: return extension(rng.next() & 0xff, rng.bytes(rng.pick([0, 1, 2, 4, 8, 16, 3, 300])), rng);
  }
}

/** A str of bytes that are not UTF-8 (lone continuation bytes, overlongs, surrogates, 0xff). */
function badUtf8(rng: Rng): Raw {
  const bytes = rng.pick([[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]]);
  return raw('bad utf8', [0xa0 + bytes.length + 1, 0x61], bytes);
}

/**
 * A hostile value as raw bytes. `maxDepth` bounds the nesting (deep values
 * cost bytes); past about 12,000 levels msgpackr runs out of stack.
 */
export function hostileRaw(rng: Rng, maxDepth = 100_000): Raw {
  const shallow = Math.min(12_000, maxDepth);
  return rng.weighted<() => Raw>([
    // Deep values cost milliseconds to decode (most of a fuzz run's time at a higher weight).
    [1, () => deepNesting(rng.chance(0.85) || maxDepth <= shallow ? rng.range(100, shallow) : rng.range(shallow, maxDepth), rng)],
    [6, () => hugeLength(rng)],
    [10, () => msgpackrExtension(rng)],
    [2, () => badUtf8(rng)],
    [2, () => raw('0xc1', [0xc1])],
    [2, () => raw('nan payload', [0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1])],
  ])();
}

/** A hostile value msgpackr still decodes, so that an operation carrying it reaches the broker's handlers. */
export function decodableHostileRaw(rng: Rng): Raw {
  return rng.weighted<() => Raw>([
    [1, () => deepNesting(rng.range(10, 3000), rng)],
    [6, () => msgpackrExtension(rng, true)],
    [1, () => badUtf8(rng)],
    [1, () => raw('nan payload', [0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1])],
  ])();
}

/** Numbers at the edges of every range the protocol checks (ids, prefetch, priority, delays, ms). */
const EDGE_NUMBERS = [
  0, 1, -1, 9, 10, 127, 128, 255, 256, 1000, 1001, 10_000, 10_001, 65_535, 65_536, 2 ** 31 - 1, 2 ** 31,
  2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 43_200_000, 43_200_001, 3_155_760_000_000, 3_155_760_000_001,
  -0, 0.5, 1.5, -(2 ** 63), NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON,
];
const EDGE_BIGINTS = [2n ** 64n - 1n, 2n ** 63n, 2n ** 53n + 1n, -(2n ** 63n), -1n, 0n];
const EDGE_STRINGS = [
  '', '#', '+', '/', 'a//b', '$inbox', '$inbox/', '$sys/x', '\u0000', '\u007f', 'a\u0000b', '\ud800', '😀/🚀',
  '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'at-least-once', 'exactly-once', 'causal', 'total', 'create',
  'x'.repeat(129), 'x'.repeat(256), 'x'.repeat(257), 'x'.repeat(1024), 'x'.repeat(1025), 'y'.repeat(3000),
];

/**
 * A value of any type, biased towards edges: what a mutated field is
 * replaced with. With `decodable`, its hostile raw values are ones msgpackr
 * decodes (the frame stays MessagePack).
 */
export function weirdValue(rng: Rng, decodable = false, depth = 0): unknown {
  return rng.weighted<() => unknown>([
    [4, () => rng.pick(EDGE_NUMBERS)],
    [2, () => (rng.chance(0.5) ? rng.next() : -rng.next())],
    [2, () => rng.pick(EDGE_BIGINTS)],
    [4, () => rng.pick(EDGE_STRINGS)],
    [1, () => rng.pick([true, false, null, undefined])],
    [2, () => rng.bytes(rng.pick([0, 1, 8, 300]))],
    [2, () => (depth > 2 ? [] : Array.from({ length: rng.int(4) }, () => weirdValue(rng, decodable, depth + 1)))],
    [2, () => (depth > 2 ? {} : weirdMap(rng, decodable, depth + 1))],
    [2, () => (decodable ? decodableHostileRaw(rng) : hostileRaw(rng, 2000))],
  ])();
}

function weirdMap(rng: Rng, decodable: boolean, depth: number): Record<string, unknown> {
  const map: Record<string, unknown> = {};
  for (let n = rng.int(4); n > 0; n--) {
    const key = rng.pick(['qos', 'order', 'headers', 'version', '__proto__', 'constructor', 'toString', 'valueOf', 'seq', 'time', 'dep', '']);
    Object.defineProperty(map, key, { value: weirdValue(rng, decodable, depth), enumerable: true, configurable: true, writable: true });
  }
  return map;
}

/** One to three byte-level mutations of `bytes`: flips, random bytes, a cut, an extension, an insertion. */
export function mutateBytes(bytes: Uint8Array, rng: Rng): { bytes: Uint8Array; how: string } {
  let b = bytes;
  const hows: string[] = [];
  for (let n = rng.range(1, 3); n > 0; n--) {
    const at = rng.int(b.length + 1);
    const how = rng.pick(['flip', 'set', 'truncate', 'extend', 'insert', 'splice', 'duplicate'] as const);
    hows.push(how);
    if (how === 'flip' && b.length > 0) {
      b = b.slice();
      b[at % b.length] ^= 1 << rng.int(8);
    } else if (how === 'set' && b.length > 0) {
      b = b.slice();
      b[at % b.length] = rng.pick([0x00, 0x7f, 0x80, 0x90, 0xc0, 0xc1, 0xd4, 0xdb, 0xdd, 0xff, rng.next() & 0xff]);
    } else if (how === 'truncate') {
      b = b.slice(0, at);
    } else if (how === 'extend') {
      b = concat(b, rng.bytes(rng.range(1, 16)));
    } else if (how === 'insert') {
      b = concat(b.subarray(0, at), rng.bytes(rng.range(1, 4)), b.subarray(at));
    } else if (how === 'splice') {
      b = concat(b.subarray(0, at), hostileRaw(rng, 2000).bytes, b.subarray(at));
    } else if (how === 'duplicate') {
      b = concat(b, b.subarray(at));
    }
  }
  return { bytes: b, how: hows.join('+') };
}
