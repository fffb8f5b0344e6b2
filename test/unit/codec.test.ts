import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, decodeValue, encodeFrame, encodeValue } from '../../broker/protocol/codec.js';
import { OrdoError } from '../../broker/errors/index.js';

/**
 * Values MessagePack carries without loss. Left out on purpose:
 * - `undefined` (the codec encodes it as nil, by design);
 * - -0 (msgpackr writes it as the integer 0);
 * - the key `__proto__` (msgpackr renames it, so a peer cannot pollute prototypes);
 * - lone UTF-16 surrogates (not representable in UTF-8 strings).
 */
const scalar = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.double({ noDefaultInfinity: false }).filter((d) => !Object.is(d, -0)),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'grapheme', minLength: 32, maxLength: 300 }), // str8/str16 headers
  fc.uint8Array({ maxLength: 300 }),
);
const key = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((k) => k !== '__proto__');
const { value: msgpackValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 8 }),
    fc.dictionary(key, tie('value'), { maxKeys: 8 }),
  ),
}));

/** Bytes decode as Buffer in Node: compare them as plain Uint8Arrays. */
function normalize(v: unknown): unknown {
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map(normalize);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  }
  return v;
}

describe('encodeValue / decodeValue [protocol 1]', () => {
  it('round-trips any MessagePack value', () => {
    fc.assert(fc.property(msgpackValue, (v) => {
      // Copy: encodeValue may return a view into a buffer the next call reuses.
      const bytes = new Uint8Array(encodeValue(v));
      expect(normalize(decodeValue(bytes))).toEqual(normalize(v));
    }), { numRuns: 500 });
  });

  it('encodes undefined as nil', () => {
    expect(decodeValue(encodeValue(undefined))).toBeNull();
    expect(decodeValue(encodeValue([1, undefined]))).toEqual([1, null]);
  });

  it('keeps bytes as bytes', () => {
    const decoded = decodeValue(encodeValue(new Uint8Array([0, 1, 255])));
    expect(decoded).toBeInstanceOf(Uint8Array);
    expect([...(decoded as Uint8Array)]).toEqual([0, 1, 255]);
  });

  it('uses standard MessagePack (no msgpackr records) so any library can decode it', () => {
    // A plain map header (fixmap, map16 or map32), then 'a' and 1; a record would start with an extension.
    const bytes = [...encodeValue({ a: 1 })];
    const isMapHeader = (bytes[0] & 0xf0) === 0x80 || bytes[0] === 0xde || bytes[0] === 0xdf;
    expect(isMapHeader).toBe(true);
    expect(bytes.slice(-3)).toEqual([0xa1, 0x61, 0x01]);
  });
});

describe('decodeFrame [protocol 1.1]', () => {
  it('returns the operations of a frame built by encodeFrame', () => {
    fc.assert(fc.property(fc.array(fc.array(msgpackValue, { maxLength: 5 }), { maxLength: 10 }), (ops) => {
      expect(normalize(decodeFrame(new Uint8Array(encodeFrame(ops))))).toEqual(normalize(ops));
    }), { numRuns: 200 });
  });

  it('on random bytes, returns an array or throws OrdoError ERR_BAD_FRAME — nothing else', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      expectArrayOrBadFrame(() => decodeFrame(bytes));
    }), { numRuns: 2000 });
  });

  it('on mutated valid frames, returns an array or throws OrdoError ERR_BAD_FRAME', () => {
    const mutation = fc.record({
      ops: fc.array(fc.array(msgpackValue, { maxLength: 4 }), { minLength: 1, maxLength: 4 }),
      at: fc.nat(),
      byte: fc.integer({ min: 0, max: 255 }),
      cut: fc.nat(),
    });
    fc.assert(fc.property(mutation, ({ ops, at, byte, cut }) => {
      const bytes = new Uint8Array(encodeFrame(ops));
      bytes[at % bytes.length] = byte;
      expectArrayOrBadFrame(() => decodeFrame(bytes));
      expectArrayOrBadFrame(() => decodeFrame(bytes.subarray(0, cut % bytes.length)));
    }), { numRuns: 1000 });
  });

  it.each([
    ['empty input', []],
    ['a truncated array', [0x92, 0x01]],
    ['trailing bytes after the array', [0x91, 0x01, 0x02]],
    ['an array32 header claiming 4 billion items', [0xdd, 0xff, 0xff, 0xff, 0xff]],
    ['an unknown extension', [0xd4, 0x01, 0x02]],
  ])('rejects %s with ERR_BAD_FRAME', (_name, bytes) => {
    expect(() => decodeFrame(new Uint8Array(bytes))).toThrow(expect.objectContaining({ code: 'ERR_BAD_FRAME' }));
  });

  it.each([
    ['a map', { a: 1 }],
    ['a number', 42],
    ['a string', 'hello'],
    ['nil', null],
    ['bytes', new Uint8Array([0x90])],
  ])('rejects a frame that is %s rather than an array', (_name, value) => {
    expect(() => decodeFrame(new Uint8Array(encodeValue(value)))).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_FRAME', message: expect.stringMatching(/array/) }),
    );
  });
});

function expectArrayOrBadFrame(decode: () => unknown[]): void {
  let result: unknown;
  try {
    result = decode();
  } catch (err) {
    expect(err).toBeInstanceOf(OrdoError);
    expect((err as OrdoError).code).toBe('ERR_BAD_FRAME');
    return;
  }
  expect(Array.isArray(result)).toBe(true);
}

describe('untrusted bytes', () => {
  it('refuses msgpackr structured-clone references (a 2^30-value graph in 0.5 KB) with ERR_BAD_FRAME / a throw', () => {
    const id = (type: number, n: number): number[] => [0xd6, type, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
    const level = (k: number): number[] => (k === 0 ? [...id(0x69, 0), 0x91, 0x01] : [...id(0x69, k), 0x92, ...level(k - 1), ...id(0x70, k - 1)]);
    const bomb = Uint8Array.from(level(30));
    expect(() => decodeValue(bomb)).toThrow();
    expect(() => decodeFrame(Uint8Array.from([0x91, ...level(30)]))).toThrow(OrdoError);
  });
});
