import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBatches, OpEncoder } from '../../broker/store/op-codec.js';
import type { StoreOp } from '../../broker/store/store.js';

/** Names as queues and topics may have them: ASCII, any Unicode (the ASCII fast path must hand those to UTF-8), short and long. */
const latin = fc.integer({ min: 0x20, max: 0x17f }).map((c) => String.fromCharCode(c));
const name = fc.oneof(
  fc.string({ maxLength: 20 }), fc.string({ unit: latin, maxLength: 70 }),
  fc.string({ unit: 'grapheme', maxLength: 70 }), fc.string({ minLength: 60, maxLength: 300 }),
);
const time = fc.integer({ min: 0, max: 2 ** 48 });
const id = fc.maxSafeInteger().filter((n) => n >= 0);

const opArb: fc.Arbitrary<StoreOp> = fc.oneof(
  fc.record({
    op: fc.constant('putMessage' as const),
    message: fc.record({
      id, topic: name, payload: fc.uint8Array({ maxLength: 5000 }),
      headers: fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })), { nil: null }),
      replyTo: fc.option(name, { nil: null }), publishedAt: time, expiresAt: fc.option(time, { nil: null }), priority: fc.integer({ min: 0, max: 9 }),
      // Absent (fifo), {dep} (causal) or {dep, scope} (total).
      order: fc.record({ dep: id, scope: name }, { requiredKeys: ['dep'] }),
    }, { requiredKeys: ['id', 'topic', 'payload', 'headers', 'replyTo', 'publishedAt', 'expiresAt', 'priority'] }),
  }),
  fc.record({
    op: fc.constant('addEntry' as const),
    entry: fc.record({ queue: name, messageId: id, priority: fc.integer({ min: 0, max: 9 }), availableAt: time, expiresAt: fc.option(time, { nil: null }), deliveries: fc.nat() }),
  }),
  fc.record({ op: fc.constant('deleteEntry' as const), queue: name, messageId: id }),
  fc.record({ op: fc.constant('setDeliveries' as const), queue: name, messageId: id, deliveries: fc.nat() }),
  fc.record({ op: fc.constant('moveEntry' as const), from: name, to: name, messageId: id, deliveries: fc.nat(), expiresAt: fc.option(time, { nil: null }), availableAt: time }),
  fc.record({ op: fc.constant('setRetained' as const), topic: name, messageId: fc.option(id, { nil: null }) }),
  fc.record({
    op: fc.constant('putProducerSeq' as const),
    record: fc.record({ producer: name, seq: id, messageId: id, digest: fc.uint8Array({ maxLength: 32 }), at: time }),
  }),
  fc.record({ op: fc.constant('dropProducerSeqs' as const), producer: name, below: fc.option(id, { nil: null }) }),
);

/** StoreOp as the worker sees it (DecodedOp): headers as their JSON text, payload as plain bytes, order as two nullable fields. */
function decodedForm(op: StoreOp): unknown {
  if (op.op === 'putProducerSeq') return { op: op.op, record: { ...op.record, digest: Buffer.from(op.record.digest) } };
  if (op.op !== 'putMessage') return op;
  const { order, ...m } = op.message;
  return {
    op: 'putMessage', ...m, payload: Buffer.from(m.payload), headers: m.headers === null ? null : JSON.stringify(m.headers),
    orderDep: order?.dep ?? null, orderScope: order?.scope ?? null,
  };
}

/** Encodes `batches` and decodes them again. */
function roundTrip(...batches: StoreOp[][]): ReturnType<typeof decodeBatches> {
  const encoder = new OpEncoder();
  for (const batch of batches) encoder.add(batch);
  const { buffer, length } = encoder.finish();
  return decodeBatches(new Uint8Array(buffer, 0, length));
}

describe('op-codec: the commit batches SqliteStore sends its worker', () => {
  it('decodes exactly the batches it encoded, across buffer growth and non-ASCII names', () => {
    fc.assert(fc.property(fc.array(fc.array(opArb, { maxLength: 8 }), { maxLength: 12 }), (batches) => {
      const encoder = new OpEncoder();
      for (const batch of batches) encoder.add(batch);
      const { buffer, length } = encoder.finish();
      const decoded = decodeBatches(new Uint8Array(buffer, 0, length));
      const plain = (op: (typeof decoded)[number][number]): unknown => {
        if (op.op === 'putMessage') return { ...op, payload: Buffer.from(op.payload) };
        if (op.op === 'putProducerSeq') return { op: op.op, record: { ...op.record, digest: Buffer.from(op.record.digest) } };
        return op;
      };
      expect(decoded.map((b) => b.map(plain)))
        .toEqual(batches.map((b) => b.map(decodedForm)));
    }), { numRuns: 200 });
  });

  it('carries a message\'s order: causal {dep}, total {dep, scope}, none for fifo', () => {
    const put = (id: number, order?: { dep: number; scope?: string }): StoreOp => ({
      op: 'putMessage',
      message: { id, topic: 't', payload: new Uint8Array(0), headers: null, replyTo: null, publishedAt: 1, expiresAt: null, priority: 0, ...(order && { order }) },
    });
    const decoded = roundTrip([put(1, { dep: 7 }), put(2, { dep: 3, scope: 'orders' }), put(3), put(4, { dep: 0, scope: '' })]);
    expect(decoded[0].map((op) => op.op === 'putMessage' && [op.id, op.orderDep, op.orderScope])).toEqual([
      [1, 7, null], [2, 3, 'orders'], [3, null, null], [4, 0, ''],
    ]);
  });

  it('refuses an order with a field of the wrong type', () => {
    const message = { id: 1, topic: 't', payload: new Uint8Array(0), headers: null, replyTo: null, publishedAt: 1, expiresAt: null, priority: 0 };
    const bad = (order: unknown): StoreOp => ({ op: 'putMessage', message: { ...message, order: order as { dep: number } } });
    expect(() => new OpEncoder().add([bad({ dep: '7' })])).toThrow(/expected a number/);
    expect(() => new OpEncoder().add([bad({ scope: 'orders' })])).toThrow(/expected a number/);
    expect(() => new OpEncoder().add([bad({ dep: 7, scope: 5 })])).toThrow(/expected a string/);
  });

  it('refuses an op with a field of the wrong type and keeps the batches before it', () => {
    const encoder = new OpEncoder();
    encoder.add([{ op: 'deleteEntry', queue: 'q', messageId: 1 }]);
    expect(() => encoder.add([{ op: 'deleteEntry', queue: 'q', messageId: 2 }, { op: 'deleteEntry', queue: 7 as unknown as string, messageId: 3 }]))
      .toThrow(/expected a string/);
    const { buffer, length } = encoder.finish();
    expect(decodeBatches(new Uint8Array(buffer, 0, length))).toEqual([[{ op: 'deleteEntry', queue: 'q', messageId: 1 }]]);
  });
});
