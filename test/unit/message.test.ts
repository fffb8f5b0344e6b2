import { describe, expect, it } from 'vitest';
import { encodeValue } from '../../broker/protocol/index.js';
import { Message } from '../../client/message.js';
import { OrdoError } from '../../client/index.js';

const noResponder = async (): Promise<void> => undefined;

function message(raw: Uint8Array): Message {
  return new Message('t/x', raw, {}, undefined, 1, 0, noResponder);
}

describe('Message', () => {
  it('decodes the payload once, on first access; bytes stay bytes', () => {
    const bytes = Uint8Array.from([1, 2, 3]);
    const m = message(encodeValue(bytes));
    expect(Array.from(m.payload as Uint8Array)).toEqual([1, 2, 3]);
    expect(m.payload).toBe(m.payload);
    expect(message(encodeValue({ a: [1, 'x'] })).payload).toEqual({ a: [1, 'x'] });
  });

  it('throws ERR_BAD_PAYLOAD, naming the topic, for bytes that are not one accepted MessagePack value', () => {
    for (const raw of [Uint8Array.from([0xa3, 0x61]), Uint8Array.from([0x93, 0x01]), Uint8Array.from([0xd6, 0x69, 0, 0, 0, 0, 0x91, 0x01])]) {
      let thrown: unknown;
      try {
        void message(raw).payload;
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(OrdoError);
      expect((thrown as OrdoError).code).toBe('ERR_BAD_PAYLOAD');
      expect((thrown as OrdoError).message).toContain('t/x');
    }
  });
});
