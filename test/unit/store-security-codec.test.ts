import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBatches, OpEncoder } from '../../broker/store/op-codec.js';
import type { StoreOp } from '../../broker/store/store.js';

const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 70 }));
const time = fc.integer({ min: 0, max: 2 ** 48 });
const id = fc.maxSafeInteger().filter((n) => n >= 0);

const securityOpArb: fc.Arbitrary<StoreOp> = fc.oneof(
  fc.record({
    op: fc.constant('putUser' as const),
    user: fc.record({ name: text, passwordHash: text, roles: fc.array(text, { maxLength: 5 }), createdAt: time }),
  }),
  fc.record({ op: fc.constant('deleteUser' as const), name: text }),
  fc.record({
    op: fc.constant('putAclRule' as const),
    rule: fc.record({ id, subject: text, action: text, pattern: text, createdAt: time }),
  }),
  fc.record({ op: fc.constant('deleteAclRule' as const), id }),
  fc.record({ op: fc.constant('putSetting' as const), key: text, value: text }),
);

/** A security op as the worker sees it: a user flat, its roles as their JSON text (the column's form). */
function decodedForm(op: StoreOp): unknown {
  if (op.op !== 'putUser') return op;
  const { name, passwordHash, roles, createdAt } = op.user;
  return { op: 'putUser', name, passwordHash, roles: JSON.stringify(roles), createdAt };
}

describe('op-codec: security records (users, ACL rules, settings)', () => {
  it('decodes exactly the security ops it encoded, mixed with queue ops', () => {
    const ack: StoreOp = { op: 'deleteEntry', queue: 'q', messageId: 1 };
    fc.assert(fc.property(fc.array(fc.array(securityOpArb, { maxLength: 6 }), { maxLength: 8 }), (batches) => {
      const encoder = new OpEncoder();
      for (const batch of batches) encoder.add([ack, ...batch]);
      const { buffer, length } = encoder.finish();
      expect(decodeBatches(new Uint8Array(buffer, 0, length))).toEqual(batches.map((b) => [ack, ...b].map(decodedForm)));
    }), { numRuns: 200 });
  });

  it('refuses a user whose roles are not a list of strings, leaving the encoder as it was', () => {
    const encoder = new OpEncoder();
    const good: StoreOp = { op: 'putSetting', key: 'k', value: 'v' };
    encoder.add([good]);
    for (const roles of ['admin', [1], null, [['admin']]]) {
      const bad = { op: 'putUser', user: { name: 'u', passwordHash: 'h', roles, createdAt: 1 } } as unknown as StoreOp;
      expect(() => encoder.add([good, bad])).toThrow(TypeError);
    }
    const { buffer, length } = encoder.finish();
    expect(decodeBatches(new Uint8Array(buffer, 0, length))).toEqual([[good]]);
  });
});
