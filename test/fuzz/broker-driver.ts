import { ERRORS } from '../../broker/errors/index.js';
import { decodeFrame } from '../../broker/protocol/index.js';
import { encode, frameRng, hex, type Rng } from '../helpers/fuzz-frames.js';
import { clientFrame, FUZZ_REQ_ID_LIMIT, type ClientFrameKind } from './client-ops.js';
import { FuzzSocket, type SocketTally } from './fuzz-socket.js';

/**
 * Drives fuzzed frames into a live broker over several parallel
 * connections [protocol 1.2, 1.3]. Mostly valid frames of mutated operations
 * on open connections (each batch followed by a PING probe that must come
 * back: the connection stayed in step), with fatal garbage mixed in. Before
 * sending a frame it predicts, with the broker's own decoder, whether the
 * frame is fatal, and checks that exactly the predicted thing happens:
 * - bytes that are not one MessagePack array: ERR_BAD_FRAME (reqId 0), close 1007;
 * - a frame above maxFrameBytes: close 1009, no ERR op;
 * - HELLO on an open connection: ERR_HANDSHAKE (reqId 0), close 1002;
 * - anything else: the connection stays open and answers the probe.
 * A connection closed by a fatal frame is replaced by a new one.
 */

export interface DriveOptions {
  url: string;
  seed: number;
  /** Fuzzed frames to send in all (probes and hellos not counted). */
  frames: number;
  lanes: number;
  maxFrameBytes: number;
  /** Stop sending new frames after this many ms even if `frames` are not all sent. */
  budgetMs: number;
}

export interface Failure { index: number; kind: string; bytes: Uint8Array; problem: string }

export interface DriveResult extends SocketTally {
  frames: number;
  byKind: Map<string, number>;
  /** Frames predicted fatal (each ended its connection as predicted, or is in failures). */
  fatalFrames: number;
  connections: number;
  closes: Map<number, number>;
  probes: number;
  failures: Failure[];
}

/** Mostly frames that decode, so connections live (a reconnect costs as much as a few frames); about 3% are fatal. */
const KINDS: readonly (readonly [number, ClientFrameKind])[] = [
  [60, 'valid'], [126, 'op-mutated'], [2, 'hostile-field'], [1, 'byte-mutated'], [1, 'random-bytes'], [1, 'hostile-frame'],
];
const PROBE_TIMEOUT_MS = 20_000;
const BATCH = 16;
/** Close statuses a broker sends to a fuzzing peer [protocol 1.3]; 1000 is ours. */
const FATAL_STATUS = new Map([['ERR_BAD_FRAME', 1007], ['ERR_HANDSHAKE', 1002], ['ERR_VERSION', 1002]]);

/**
 * What the broker must do with a frame. 'either': the frame nests so deep
 * that whether msgpackr's recursive decoder runs out of stack depends on how
 * deep the call stack already is, which differs between this test and the
 * broker's socket callback; the broker may then decode it or refuse it with
 * ERR_BAD_FRAME, and both are right.
 */
type Prediction =
  | { fatal: false }
  | { fatal: true; code: string | undefined; status: number }
  /** `orCode`: what the broker must answer if it does decode the frame (ERR_HANDSHAKE for a HELLO in it; unknown when it did not decode here). */
  | { fatal: 'either'; orCode: 'ERR_HANDSHAKE' | undefined | 'unknown' };

/** Nesting this deep is far from the stack's end wherever it is decoded. */
const SAFE_DEPTH = 1000;

/** What the broker must do with `bytes` on an open connection, and the request ids of its operations. */
function analyse(bytes: Uint8Array, maxFrameBytes: number): { prediction: Prediction; reqIds: number[] } {
  if (bytes.length > maxFrameBytes) return { prediction: { fatal: true, code: undefined, status: 1009 }, reqIds: [] };
  let ops: unknown[];
  try {
    ops = decodeFrame(bytes);
  } catch (err) {
    const isStackBound = /call stack/.test((err as Error).message);
    return { prediction: isStackBound ? { fatal: 'either', orCode: 'unknown' } : { fatal: true, code: 'ERR_BAD_FRAME', status: 1007 }, reqIds: [] };
  }
  const reqIds = ops
    .map((op) => (Array.isArray(op) ? op[1] : undefined))
    .filter((id): id is number => typeof id === 'number' && id > 0 && id < FUZZ_REQ_ID_LIMIT);
  const isHello = ops.some((op) => Array.isArray(op) && op[0] === 1);
  if (bytes.length > SAFE_DEPTH && isDeeperThan(ops, SAFE_DEPTH)) {
    return { prediction: { fatal: 'either', orCode: isHello ? 'ERR_HANDSHAKE' : undefined }, reqIds };
  }
  return { prediction: isHello ? { fatal: true, code: 'ERR_HANDSHAKE', status: 1002 } : { fatal: false }, reqIds };
}

/** True when `value` nests arrays and maps more than `limit` deep (walked without recursion). */
function isDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (depth > limit) return true;
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array) continue;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

export async function driveBroker(opts: DriveOptions): Promise<DriveResult> {
  const frameOf = new Map<number, { index: number; kind: string; bytes: Uint8Array }>();
  const result: DriveResult = {
    frames: 0, byKind: new Map(), fatalFrames: 0, connections: 0, closes: new Map(), probes: 0, failures: [],
    errors: new Map(), ops: new Map(), longestError: { length: 0, code: '' },
    problem: (text) => { fail({ index: -1, kind: 'broker output', bytes: new Uint8Array(0) }, text); },
    onError: (reqId, code, message) => {
      // A handler that throws is a broker bug, whatever the input [protocol 4.2, ERR_INTERNAL].
      if (code !== 'ERR_INTERNAL') return;
      const f = frameOf.get(reqId) ?? { index: -1, kind: '?', bytes: new Uint8Array(0) };
      fail(f, `ERR_INTERNAL for request ${reqId}: ${message}`);
    },
  };
  const deadline = Date.now() + opts.budgetMs;
  let nextIndex = 0;
  let nextProbe = 3_000_000_000;
  let connectionNo = 0;
  const claim = (): number | undefined => (nextIndex < opts.frames && Date.now() < deadline ? nextIndex++ : undefined);

  // Kept for the report up to a hundred: a systematic bug would otherwise fill memory with every frame.
  const fail = (f: { index: number; kind: string; bytes: Uint8Array }, problem: string): void => {
    if (result.failures.length < 100) result.failures.push({ ...f, problem });
  };

  /** One frame of the run: index → bytes, always the same for one seed. */
  const makeFrame = (index: number): { index: number; kind: string; bytes: Uint8Array; prediction: Prediction } => {
    const rng = frameRng(opts.seed, index);
    // Operations stay decodable and HELLO is rare, so most frames are not fatal; 1 to 3 operations keep frames cheap.
    const { kind, bytes } = clientFrame(rng, rng.weighted(KINDS), { allowHello: rng.chance(0.005), maxDepth: 20_000, decodable: true, maxOps: 3 });
    result.frames++;
    result.byKind.set(kind, (result.byKind.get(kind) ?? 0) + 1);
    const { prediction, reqIds } = analyse(bytes, opts.maxFrameBytes);
    const f = { index, kind, bytes, prediction };
    if (frameOf.size > 50_000) frameOf.clear();
    for (const reqId of reqIds) frameOf.set(reqId, f);
    return f;
  };

  /** Waits for the close a fatal frame must cause and checks its status and ERR op. */
  const expectFatal = async (s: FuzzSocket, f: ReturnType<typeof makeFrame>): Promise<void> => {
    result.fatalFrames++;
    const p = f.prediction as Extract<Prediction, { fatal: true }>;
    const closed = await s.closeWithin(PROBE_TIMEOUT_MS);
    if (closed === undefined) return fail(f, `predicted close ${p.status} did not come within ${PROBE_TIMEOUT_MS} ms`);
    if (closed.code !== p.status) return fail(f, `closed with ${closed.code} '${closed.reason}', predicted ${p.status}`);
    if (p.code !== undefined && (s.lastError?.[1] !== p.code || s.lastError[0] !== 0)) {
      fail(f, `close ${closed.code} after ERR op ${JSON.stringify(s.lastError)}, predicted ${p.code} with reqId 0`);
    }
  };

  /** HELLO plus a probe; optionally a fuzzed frame first, while the connection is in the handshake state. */
  const handshake = async (s: FuzzSocket, rng: Rng): Promise<boolean> => {
    const probe = nextProbe++;
    const early = rng.chance(0.05) ? claim() : undefined;
    const f = early === undefined ? { index: -1, kind: 'hello', bytes: new Uint8Array(0) } : makeFrame(early);
    if (early !== undefined) s.send(f.bytes);
    s.send(encode([[1, { version: 1, clientId: 'fuzz' }], [5, probe]]));
    const outcome = await s.pong(probe, PROBE_TIMEOUT_MS);
    if (outcome === 'pong') return true;
    if (outcome === 'timeout') {
      fail(f, 'no WELCOME and PONG within the timeout');
      return false;
    }
    // Only a fuzzed frame before HELLO may end the handshake, with a fatal error of its own [protocol 2.1].
    const closed = await s.closed;
    const status = s.lastError === undefined ? undefined : FATAL_STATUS.get(s.lastError[1]);
    const isDocumented = closed.code === 1009 || (status === closed.code && s.lastError?.[0] === 0);
    if (early === undefined || !isDocumented) fail(f, `handshake ended with close ${closed.code} after ${JSON.stringify(s.lastError)}`);
    else result.fatalFrames++;
    return false;
  };

  const runConnection = async (s: FuzzSocket, rng: Rng): Promise<void> => {
    if (!await handshake(s, rng)) return;
    for (;;) {
      let either: ReturnType<typeof makeFrame> | undefined;
      for (let k = 0; k < BATCH && either === undefined; k++) {
        const index = claim();
        if (index === undefined) return;
        const f = makeFrame(index);
        s.send(f.bytes);
        if (f.prediction.fatal === true) return expectFatal(s, f);
        if (f.prediction.fatal === 'either') either = f;
      }
      const probe = nextProbe++;
      s.send(encode([[5, probe]]));
      const outcome = await s.pong(probe, PROBE_TIMEOUT_MS);
      if (outcome === 'closed' && either !== undefined) {
        // Refused after all: ERR_BAD_FRAME and 1007 as for any frame it cannot decode, or, decoded, what its operations call for.
        const { orCode } = either.prediction as Extract<Prediction, { fatal: 'either' }>;
        const isHandshake = s.lastError?.[1] === 'ERR_HANDSHAKE' && orCode !== undefined;
        either.prediction = isHandshake ? { fatal: true, code: 'ERR_HANDSHAKE', status: 1002 } : { fatal: true, code: 'ERR_BAD_FRAME', status: 1007 };
        return expectFatal(s, either);
      }
      if (outcome !== 'pong') {
        const closed = s.isClosed ? await s.closed : undefined;
        return fail({ index: nextIndex - 1, kind: 'probe', bytes: new Uint8Array(0) },
          `a connection sent only non-fatal frames, then ${outcome === 'timeout' ? 'did not answer its probe' : `closed with ${closed?.code} after ${JSON.stringify(s.lastError)}`}`);
      }
      result.probes++;
    }
  };

  const lane = async (): Promise<void> => {
    while (nextIndex < opts.frames && Date.now() < deadline) {
      let s: FuzzSocket;
      try {
        s = await FuzzSocket.open(opts.url, result);
      } catch (err) {
        return fail({ index: nextIndex, kind: 'connect', bytes: new Uint8Array(0) }, `the broker refused a connection: ${String(err)}`);
      }
      result.connections++;
      await runConnection(s, frameRng(opts.seed ^ 0x0c0ffee, connectionNo++));
      const { code } = s.isClosed ? await s.closed : await s.close();
      result.closes.set(code, (result.closes.get(code) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: opts.lanes }, lane));
  return result;
}

/** Failures as text: seed, frame index, what happened, the bytes. */
export function describeFailures(seed: number, failures: readonly Failure[]): string {
  return failures.slice(0, 8).map((f) => `seed ${seed} frame ${f.index} (${f.kind}): ${f.problem}${f.bytes.length > 0 ? `; bytes ${hex(f.bytes)}` : ''}`).join('\n');
}

/** True for a close status the broker may end a connection with [protocol 1.3], or 1000 (our own close). */
export function isDocumentedClose(code: number): boolean {
  return code === 1000 || code === 1006 || code === 1009 || code === 1011
    || Object.values(ERRORS).some((spec) => 'closeCode' in spec && spec.closeCode === code);
}
