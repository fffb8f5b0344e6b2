import { FrameBuilder, MessageTailEncoder } from '../../broker/protocol/index.js';
import { encode, type Rng } from '../helpers/fuzz-frames.js';
import { hostileRaw, mutateBytes, weirdValue } from './hostile-values.js';

/**
 * Broker → client frames for fuzzing the SDK's decoder (visitFrame): frames
 * as the broker writes them (FrameBuilder, MessageTailEncoder: MESSAGE in its
 * 8-, 10- and 11-element forms, OK, ERROR, PONG, PENDING, WELCOME), the same
 * operations in other valid header forms (which take the decoder's generic
 * path), and both mutated.
 */

const tails = new MessageTailEncoder();
const TOPICS = ['a', 'ab', 'fz/b/c', 'x'.repeat(40), 'ünï/cødé', 'y'.repeat(300)];

function randomMessage(rng: Rng): { topic: string; payload: Uint8Array; headers: unknown; replyTo: string | null; seq: number; timestamp: number } {
  return {
    topic: rng.pick(TOPICS),
    payload: rng.chance(0.1) ? rng.bytes(rng.chance(0.05) ? 70_000 : rng.pick([0, 255, 256])) : encode(rng.pick<unknown>(['hi', 1, null, [1, 2]])),
    headers: rng.chance(0.2) ? { k: 'v' } : null,
    replyTo: rng.chance(0.2) ? '$inbox/abc' : null,
    seq: rng.pick([1, 127, 128, 65_536, 2 ** 32, 2 ** 53 - 1]),
    timestamp: rng.pick([0, 1_700_000_000_000, 2 ** 53 - 1]),
  };
}

/** A frame as the broker builds it. */
export function builtBrokerFrame(rng: Rng): Uint8Array {
  const builder = new FrameBuilder(64);
  for (let n = rng.range(1, 5); n > 0; n--) {
    const m = randomMessage(rng);
    const subId = rng.pick([0, 1, 200, 70_000, 2 ** 32 - 1]);
    switch (rng.int(8)) {
      case 0: case 1:
        builder.appendMessage(subId, tails.encode(m.topic, m.payload, m.headers, m.replyTo, m.seq, m.timestamp));
        break;
      case 2: case 3:
        builder.appendDelivery(subId, tails.encode(m.topic, m.payload, m.headers, m.replyTo, m.seq, m.timestamp), rng.range(0, 300), rng.range(0, 3));
        break;
      case 4: {
        const order = { dep: rng.range(0, m.seq), scope: rng.chance(0.5) ? 'default' : undefined };
        builder.appendMessage(subId, tails.encode(m.topic, m.payload, m.headers, m.replyTo, m.seq, m.timestamp, { deliveries: rng.range(0, 3), flags: 0, order }));
        break;
      }
      case 5: builder.appendOp([65, rng.next(), rng.pick<unknown>([null, { id: 3, matched: 1, dropped: 0 }])]); break;
      case 6: builder.appendOp([66, rng.next(), 'ERR_BAD_REQUEST', 'bad']); break;
      default: builder.appendOp(rng.pick<unknown[]>([[68, 7], [69, 12], [64, { version: 1, inbox: 'ab' }], [99, 1]]));
    }
  }
  return builder.take().slice();
}

/** The same operations in any valid header form, through the test encoder (the decoder's generic path). */
function encodedBrokerFrame(rng: Rng): Uint8Array {
  const ops = Array.from({ length: rng.range(1, 4) }, () => {
    const m = randomMessage(rng);
    const op: unknown[] = [67, rng.range(0, 300), m.topic, m.payload, m.headers, m.replyTo, m.seq, m.timestamp];
    if (rng.chance(0.5)) op.push(rng.range(0, 3), rng.range(0, 3));
    if (op.length === 10 && rng.chance(0.5)) op.push(rng.chance(0.5) ? { dep: 1 } : { dep: 2, scope: 'default' });
    if (rng.chance(0.2)) op[rng.range(1, op.length - 1)] = weirdValue(rng);
    return op;
  });
  return encode(ops, rng);
}

/** A broker → client frame: built or encoded, then (usually) mutated. */
export function brokerFrame(rng: Rng): { kind: string; bytes: Uint8Array } {
  const base = rng.chance(0.6) ? builtBrokerFrame(rng) : encodedBrokerFrame(rng);
  const r = rng.int(10);
  if (r < 3) return { kind: 'broker-valid', bytes: base };
  if (r < 9) return { kind: 'broker-byte-mutated', bytes: mutateBytes(base, rng).bytes };
  return { kind: 'broker-hostile', bytes: hostileRaw(rng).bytes };
}
