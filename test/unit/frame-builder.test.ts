import fc from 'fast-check';
import { Packr, Unpackr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { BrokerOp, ClientOp, FrameBuilder, MessageTailEncoder, encodeMessageOp } from '../../broker/protocol/index.js';

/** An independent decoder, so a bug shared with the codec cannot hide. */
// int64AsType 'auto': seq and timestamp may travel as uint64; they decode as numbers while safe.
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'auto' as 'number' });
const packr = new Packr({ useRecords: false });
const decode = (bytes: Uint8Array): unknown => unpackr.unpack(bytes);

/** One reused encoder, as the broker uses it: each tail is valid until the next encode. */
const tailEncoder = new MessageTailEncoder();
const encodeMessageTail = (
  topic: string, payload: Uint8Array, headers: unknown, replyTo: string | null, seq: number, timestamp: number,
): Uint8Array => tailEncoder.encode(topic, payload, headers, replyTo, seq, timestamp);

/** Subscription ids on and around every MessagePack uint encoding boundary. */
const BOUNDARY_IDS = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xfffe, 0xffff, 0x10000, 0x7fff_ffff, 0xffff_ffff];
const subId = fc.oneof(
  fc.constantFrom(...BOUNDARY_IDS),
  fc.integer({ min: 0, max: 0x7f }),
  fc.integer({ min: 0x80, max: 0xff }),
  fc.integer({ min: 0x100, max: 0xffff }),
  fc.integer({ min: 0x10000, max: 0xffff_ffff }),
);

const messageArb = fc.record({
  subId,
  topic: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
  payload: fc.uint8Array({ maxLength: 600 }),
  headers: fc.option(fc.dictionary(fc.string({ maxLength: 8 }).filter((k) => k !== '__proto__'), fc.string({ maxLength: 8 }), { maxKeys: 3 })),
  replyTo: fc.option(fc.string({ minLength: 1, maxLength: 20 })),
  seq: fc.maxSafeNat(),
  timestamp: fc.integer({ min: 0, max: 2 ** 42 }),
});
type MessageArgs = typeof messageArb extends fc.Arbitrary<infer T> ? T : never;

const anyOp = fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 30 }), fc.constant(null), fc.boolean()), { minLength: 1, maxLength: 5 });

type Entry = { kind: 'message'; m: MessageArgs } | { kind: 'op'; op: unknown[] } | { kind: 'encoded'; op: unknown[] };
const entryArb: fc.Arbitrary<Entry> = fc.oneof(
  messageArb.map((m) => ({ kind: 'message' as const, m })),
  anyOp.map((op) => ({ kind: 'op' as const, op })),
  anyOp.map((op) => ({ kind: 'encoded' as const, op })),
);

function expectedMessage(m: MessageArgs): unknown[] {
  return [BrokerOp.message, m.subId, m.topic, m.payload, m.headers, m.replyTo, m.seq, m.timestamp];
}

function appendEntry(builder: FrameBuilder, e: Entry): unknown[] {
  if (e.kind === 'message') {
    const { m } = e;
    builder.appendMessage(m.subId, encodeMessageTail(m.topic, m.payload, m.headers, m.replyTo, m.seq, m.timestamp));
    return expectedMessage(m);
  }
  if (e.kind === 'op') builder.appendOp(e.op);
  else builder.appendEncoded(new Uint8Array(packr.pack(e.op)));
  return e.op;
}

/** Bytes decode as Buffer: compare them as plain Uint8Arrays. */
function normalize(v: unknown): unknown {
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map(normalize);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  return v;
}

describe('FrameBuilder with MessageTailEncoder [protocol 1.1, 2.10]', () => {
  it.each(BOUNDARY_IDS)('writes subscription id %i so it decodes exactly', (id) => {
    const builder = new FrameBuilder();
    builder.appendMessage(id, encodeMessageTail('a/b', new Uint8Array([1, 2, 3]), null, null, 7, 1000));
    expect(normalize(decode(builder.take()))).toEqual([[BrokerOp.message, id, 'a/b', new Uint8Array([1, 2, 3]), null, null, 7, 1000]]);
  });

  it('decodes into exactly the appended operations, in order, whatever the mix', () => {
    fc.assert(fc.property(fc.array(entryArb, { maxLength: 30 }), fc.integer({ min: 1, max: 8192 }), (entries, initial) => {
      const builder = new FrameBuilder(initial);
      const expected = entries.map((e) => appendEntry(builder, e));
      expect(builder.opCount).toBe(entries.length);
      const frame = builder.take();
      expect(frame.length).toBe(builder.byteLength);
      expect(normalize(decode(frame))).toEqual(normalize(expected));
    }), { numRuns: 300 });
  });

  it('grows past its initial size without corrupting what it already holds', () => {
    const builder = new FrameBuilder(64);
    const expected: unknown[] = [];
    const payload = new Uint8Array(100).fill(0xab);
    for (let i = 0; i < 1000; i++) {
      const id = BOUNDARY_IDS[i % BOUNDARY_IDS.length];
      builder.appendMessage(id, encodeMessageTail(`t/${i}`, payload, i % 2 ? { k: String(i) } : null, null, i, i * 10));
      expected.push([BrokerOp.message, id, `t/${i}`, payload, i % 2 ? { k: String(i) } : null, null, i, i * 10]);
    }
    const frame = builder.take();
    expect(frame.length).toBeGreaterThan(100_000);
    expect(normalize(decode(frame))).toEqual(normalize(expected));
  });

  it('grows when a single operation is larger than twice the buffer', () => {
    const builder = new FrameBuilder(64);
    const big = new Uint8Array(70_000).fill(7);
    builder.appendOp([1, 'x']);
    builder.appendMessage(300, encodeMessageTail('big', big, null, 'r', 1, 2));
    expect(normalize(decode(builder.take()))).toEqual(normalize([[1, 'x'], [BrokerOp.message, 300, 'big', big, null, 'r', 1, 2]]));
  });

  it('an empty frame decodes as an empty array', () => {
    expect(decode(new FrameBuilder().take())).toEqual([]);
  });

  it('encodes a shared tail once: appending it for several subscribers leaves it intact', () => {
    const tail = encodeMessageTail('fan/out', new Uint8Array([9]), null, null, 1, 2);
    // (appendMessage copies the tail; nothing encodes in between, as in fanOutAtMostOnce)
    const before = [...tail];
    const builder = new FrameBuilder(64);
    for (const id of [1, 200, 70_000]) builder.appendMessage(id, tail);
    expect([...tail]).toEqual(before);
    expect((decode(builder.take()) as unknown[][]).map((op) => op[1])).toEqual([1, 200, 70_000]);
  });
});

describe('encodeMessageOp: PUBLISH and SEND as the SDK keeps them to resend [protocol 2.3, 2.11]', () => {
  const reqIds = fc.oneof(subId, fc.constantFrom(2 ** 32, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER));
  it('decodes as the array a generic encoder makes of the same fields, raw bytes or encoded values', () => {
    fc.assert(fc.property(
      fc.constantFrom(ClientOp.publish, ClientOp.send), reqIds, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 }),
      fc.oneof(fc.uint8Array({ maxLength: 70_000 }), fc.jsonValue()), fc.option(fc.record({ qos: fc.constantFrom('at-least-once', 'exactly-once'), priority: fc.nat(9) })),
      (op, reqId, destination, value, options) => {
        const isRawBytes = value instanceof Uint8Array;
        const payload = isRawBytes ? value : new Uint8Array(packr.pack(value));
        const bytes = encodeMessageOp(op, reqId, new Uint8Array(packr.pack(destination)), payload, isRawBytes, options === null ? null : new Uint8Array(packr.pack(options)));
        expect(decode(bytes)).toEqual([op, reqId, destination, new Uint8Array(packr.pack(value)), options]);
      },
    ), { numRuns: 150 });
  });
});
