import { encode, Raw, type Rng } from '../helpers/fuzz-frames.js';
import { hostileRaw, mutateBytes, weirdValue } from './hostile-values.js';

/**
 * Client → broker operations for the fuzz tests: a valid operation of every
 * client code, built from docs/protocol.md section 2 (not from the broker's
 * validators, so both can be wrong only independently), and frames made of
 * them, mutated at the operation level (still MessagePack) or the byte level.
 *
 * Names come from small pools so operations meet each other's state (a
 * consume finds the queue a send filled, an ack names a subscription);
 * none of them is the name of anything a test keeps safe from the fuzzer.
 */

const TOPICS = ['fz/a', 'fz/b/c', 'fz/b/d', 'fz/e', '$inbox/fz/x', '$sys/fz'];
const PATTERNS = ['fz/#', 'fz/+/c', 'fz/+', '#', '+/+', 'fz/b/#'];
const QUEUES = ['fzq-1', 'fzq-2', 'fzq-3', 'fzq-1.dlq', '$fz'];
const QOS = ['at-most-once', 'at-least-once', 'exactly-once'];
const ORDERS = ['fifo', 'causal', 'total'];
const PRODUCERS = ['fzp-1', 'fzp-2'];

/** The codes of section 2 (1–15), and the admin codes 16–18 of issue 6 (USER, ACL, TOKEN). */
export const CLIENT_CODES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18] as const;

/** Request ids of fuzzed operations stay below this; probes use the ids above it. */
export const FUZZ_REQ_ID_LIMIT = 2 ** 31;

function reqId(rng: Rng): number {
  return rng.chance(0.05) ? 0 : rng.range(1, FUZZ_REQ_ID_LIMIT - 1);
}

function payload(rng: Rng): Uint8Array {
  return encode(rng.pick<unknown>(['hi', 42, null, { a: [1, 2] }, rng.bytes(rng.int(40)), '']));
}

/** Some of `options`' entries (each kept with probability 2/5), or nil (absent or explicit). */
function someOf(rng: Rng, options: Record<string, () => unknown>): Record<string, unknown> | null | undefined {
  if (rng.chance(0.3)) return rng.chance(0.5) ? null : undefined;
  const picked: Record<string, unknown> = {};
  for (const [key, make] of Object.entries(options)) if (rng.chance(0.4)) picked[key] = make();
  return picked;
}

function deliveryIds(rng: Rng): unknown[] {
  return Array.from({ length: rng.range(1, 4) }, () => (rng.chance(0.5) ? rng.range(1, 200) : [rng.range(1, 200), rng.range(1, 3)]));
}

function headers(rng: Rng): Record<string, string> {
  return rng.pick<Record<string, string>>([{}, { k: 'v' }, { 'content-type': 'x', a: '' }]);
}

/** A well-formed operation of code `code` (trailing nil options dropped or kept at random). */
export function validClientOp(rng: Rng, code: number): unknown[] {
  const sub = (): number => rng.range(1, 12);
  const producer = (): Record<string, () => unknown> => (rng.chance(0.5) ? {} : { producer: () => rng.pick(PRODUCERS), pseq: () => rng.range(1, 50) });
  const withOptions = (op: unknown[], options: unknown): unknown[] => (options === undefined ? op : [...op, options]);
  switch (code) {
    case 1: return [1, { version: rng.pick<unknown>([1, [1], [2, 1]]), clientId: 'fuzz', agent: rng.chance(0.3) ? 'fz/1' : undefined }];
    case 2: return withOptions([2, reqId(rng), rng.pick(TOPICS), payload(rng)], someOf(rng, {
      qos: () => rng.pick(QOS), order: () => rng.pick(ORDERS), retain: () => rng.chance(0.5), headers: () => headers(rng),
      replyTo: () => rng.pick(TOPICS), confirm: () => rng.chance(0.5), after: () => rng.range(0, 1000), ...producer(),
    }));
    case 3: return withOptions([3, reqId(rng), sub(), rng.pick(PATTERNS)], someOf(rng, {
      qos: () => rng.pick(QOS), order: () => rng.pick(ORDERS), durable: () => rng.pick(['fzd-1', 'fzd-2']),
      group: () => rng.pick(['fzg']), prefetch: () => rng.range(1, 50), from: () => rng.pick([{ seq: 0 }, { time: 0 }]),
    }));
    case 4: return [4, reqId(rng), sub()];
    case 5: case 6: return [code, reqId(rng)];
    case 7: return withOptions([7, reqId(rng), rng.pick(QUEUES), payload(rng)], someOf(rng, {
      qos: () => rng.pick(QOS), headers: () => headers(rng), replyTo: () => rng.pick(TOPICS), priority: () => rng.range(0, 9),
      delayMs: () => rng.range(0, 50), ttlMs: () => rng.range(1, 60_000), order: () => rng.pick(ORDERS), after: () => rng.range(0, 100), ...producer(),
    }));
    case 8: return withOptions([8, reqId(rng), sub(), rng.pick(QUEUES)], someOf(rng, {
      qos: () => rng.pick(QOS), prefetch: () => rng.range(1, 20), order: () => rng.pick(ORDERS),
    }));
    case 9: case 13: case 14: return [code, reqId(rng), sub(), deliveryIds(rng)];
    case 10: return withOptions([10, reqId(rng), sub(), deliveryIds(rng)], someOf(rng, {
      requeue: () => rng.chance(0.5), delayMs: () => rng.range(0, 100), release: () => rng.chance(0.5),
    }));
    case 11: return [11, reqId(rng), sub(), deliveryIds(rng), rng.range(0, 60_000)];
    case 12: return queueOp(rng);
    case 15: return [15, reqId(rng), sub(), deliveryIds(rng), Array.from({ length: rng.range(1, 3) }, () => (rng.chance(0.5)
      ? { topic: rng.pick(TOPICS), payload: payload(rng) }
      : { queue: rng.pick(QUEUES), payload: payload(rng), headers: headers(rng) }))];
    // Admin operations (issue 6). Passwords stay shorter than 8 characters: refused before any scrypt hashing.
    case 16: return [16, reqId(rng), rng.pick(['list', 'add', 'remove', 'passwd', 'roles']), rng.pick(['fzu', null]),
      rng.pick<unknown>([null, { password: 'short' }, { roles: ['fzr'] }])];
    case 17: return [17, reqId(rng), rng.pick(['list', 'add', 'remove']),
      rng.pick<unknown>([null, { id: rng.range(1, 5) }, { subject: 'user:fzu', action: 'publish', pattern: 'fz/#' }])];
    case 18: return [18, reqId(rng), { user: rng.chance(0.5) ? 'fzu' : undefined, ttlMs: rng.range(0, 10_000) }];
    default: return [code, reqId(rng)];
  }
}

function queueOp(rng: Rng): unknown[] {
  const action = rng.chance(0.05) ? 'list' : rng.pick(['create', 'delete', 'purge', 'peek', 'info']);
  const name = action === 'list' ? null : rng.pick(QUEUES);
  const args = action === 'create'
    ? rng.pick<unknown>([null, { maxLength: rng.range(1, 100) }, { overflow: 'drop-oldest', deadLetterQueue: null }, { maxDeliveries: 2 }])
    : action === 'peek' ? rng.pick<unknown>([null, { count: rng.range(1, 20) }]) : null;
  return [12, reqId(rng), action, name, args];
}

/**
 * How often each code is drawn (HELLO apart): every code, the common ones
 * more often; STATS rarely, since its answer (every connection and queue)
 * costs a hundred times a PING's.
 */
const CODE_WEIGHTS: readonly (readonly [number, number])[] = [
  [12, 2], [6, 3], [4, 4], [6, 5], [1, 6], [8, 7], [4, 8], [2, 9], [2, 10], [2, 11], [3, 12], [2, 13], [2, 14], [2, 15],
  [1, 16], [1, 17], [1, 18],
];

/** A valid operation of any client code; `hello` only when asked (it is fatal on an open connection). */
export function anyValidClientOp(rng: Rng, allowHello: boolean): unknown[] {
  return validClientOp(rng, allowHello && rng.chance(1 / 18) ? 1 : rng.weighted(CODE_WEIGHTS));
}

/**
 * One operation-level mutation: a field replaced, dropped, added or swapped,
 * the code changed, or the op replaced. With `decodable`, values stay ones
 * msgpackr decodes.
 */
export function mutateOp(op: unknown[], rng: Rng, decodable = false): unknown {
  const copy = [...op];
  const at = rng.int(copy.length);
  switch (rng.int(7)) {
    case 0: copy[at] = weirdValue(rng, decodable); return copy;
    case 1: copy.splice(at, 1); return copy;
    case 2: copy.splice(rng.int(copy.length + 1), 0, weirdValue(rng, decodable)); return copy;
    case 3: { const other = rng.int(copy.length); [copy[at], copy[other]] = [copy[other], copy[at]]; return copy; }
    case 4: copy[0] = rng.pick<unknown>([0, 19, 63, 64, 67, 127, 128, 255, -1, 2.5, rng.pick(CLIENT_CODES), '2', null]); return copy;
    case 5: { // an option (the map at the end) gets a weird value
      const last = copy[copy.length - 1];
      if (last === null || typeof last !== 'object' || Array.isArray(last) || last instanceof Uint8Array || last instanceof Raw) return copy;
      const key = rng.pick([...Object.keys(last), 'qos', 'headers', '__proto__', 'constructor']);
      copy[copy.length - 1] = Object.defineProperty({ ...last }, key, { value: weirdValue(rng, decodable), enumerable: true });
      return copy;
    }
    default: return weirdValue(rng, decodable);
  }
}

/** What a fuzzed client frame was made as: counted per kind, printed with a failure. */
export type ClientFrameKind = 'random-bytes' | 'valid' | 'op-mutated' | 'hostile-field' | 'byte-mutated' | 'hostile-frame';

export interface FuzzFrame {
  kind: ClientFrameKind;
  bytes: Uint8Array;
  /** For byte-mutated frames, the mutations applied. */
  how?: string;
}

/** How clientFrame builds its frames. */
export interface ClientFrameOptions {
  /** HELLO among the operations (fatal on an open connection). Default true. */
  allowHello?: boolean;
  /** Deepest hostile nesting. Default 100,000 (past msgpackr's stack). */
  maxDepth?: number;
  /** Valid and op-mutated frames stay MessagePack msgpackr decodes. Default false. */
  decodable?: boolean;
  /** Most operations per frame. Default 6. */
  maxOps?: number;
}

function validOps(rng: Rng, o: ClientFrameOptions): unknown[] {
  return Array.from({ length: rng.range(1, o.maxOps ?? 6) }, () => anyValidClientOp(rng, (o.allowHello ?? true) && rng.chance(0.3)));
}

/** A frame of `kind`. */
export function clientFrame(rng: Rng, kind: ClientFrameKind, o: ClientFrameOptions = {}): FuzzFrame {
  switch (kind) {
    case 'random-bytes': return { kind, bytes: rng.bytes(rng.chance(0.8) ? rng.int(40) : rng.int(2000)) };
    case 'valid': return { kind, bytes: encode(validOps(rng, o), rng) };
    case 'op-mutated': {
      const ops: unknown[] = validOps(rng, o);
      for (let n = rng.range(1, 3); n > 0; n--) {
        const i = rng.int(ops.length);
        ops[i] = Array.isArray(ops[i]) ? mutateOp(ops[i] as unknown[], rng, o.decodable) : weirdValue(rng, o.decodable);
      }
      return { kind, bytes: encode(ops, rng) };
    }
    case 'hostile-field': {
      const ops = validOps(rng, o);
      const op = ops[rng.int(ops.length)] as unknown[];
      op[rng.range(1, op.length)] = hostileRaw(rng, o.maxDepth);
      return { kind, bytes: encode(ops, rng) };
    }
    case 'byte-mutated': {
      const mutated = mutateBytes(encode(validOps(rng, o), rng), rng);
      return { kind, bytes: mutated.bytes, how: mutated.how };
    }
    case 'hostile-frame': return {
      kind,
      bytes: rng.chance(0.7) ? hostileRaw(rng, o.maxDepth).bytes : encode(weirdValue(rng), rng),
    };
  }
}
