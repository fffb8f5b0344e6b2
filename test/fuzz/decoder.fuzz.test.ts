import { describe, expect, it } from 'vitest';
import { OrdoError } from '../../broker/errors/index.js';
import { decodeFrame, decodeValue, visitFrame, type FrameVisitor } from '../../broker/protocol/index.js';
import { frameRng, fuzzCount, fuzzSeed, hex, Rng } from '../helpers/fuzz-frames.js';
import { brokerFrame } from './broker-frames.js';
import { extension } from './hostile-values.js';
import { clientFrame, type ClientFrameKind } from './client-ops.js';
import { runTimeBoxed, TimeBoxExceeded } from './time-box.js';

/**
 * The decoders under fire, in process [protocol 1, 1.1]: random, mutated and
 * hostile frames at decodeFrame (the broker's decoder of client frames) and
 * at visitFrame (the SDK's decoder of broker frames). Batches run under a
 * time box, so a decoder that loops forever fails the test with the frame's
 * seed and index instead of hanging it. Replay one run with FUZZ_SEED=<seed>.
 */

const SEED = fuzzSeed();
const DECODE_FRAMES = fuzzCount('FUZZ_DECODER_FRAMES', 100_000);
const VISIT_FRAMES = fuzzCount('FUZZ_VISIT_FRAMES', 20_000);
const BATCH = 500;
/** Far above any decode of a 1 MiB frame: only a decoder that never returns gets near it. */
const BATCH_TIME_BOX_MS = 20_000;
/** Generous: the machine may be shared; the longer npm `fuzz` run raises the counts, and with them the time. */
const TEST_TIMEOUT_MS = Math.max(120_000, (DECODE_FRAMES + VISIT_FRAMES) * 2);

const KINDS: readonly (readonly [number, ClientFrameKind])[] = [
  [2, 'random-bytes'], [1, 'valid'], [2, 'op-mutated'], [2, 'hostile-field'], [3, 'byte-mutated'], [2, 'hostile-frame'],
];

interface Failure { index: number; kind: string; bytes: Uint8Array; problem: string }

/** Failures kept for the report (a systematic bug would otherwise fill memory with every frame). */
const MAX_KEPT = 100;

function record(failures: Failure[], failure: Failure): void {
  if (failures.length < MAX_KEPT) failures.push(failure);
}

function describeFailures(failures: readonly Failure[]): string {
  return failures.slice(0, 5).map((f) => `seed ${SEED} frame ${f.index} (${f.kind}): ${f.problem}; bytes ${hex(f.bytes)}`).join('\n');
}

let hangs = 0;

/**
 * Runs `check(index)` for every index in batches under the time box; a batch
 * that runs out of time is replayed frame by frame to name the frame that hangs.
 */
function fuzzInBatches(count: number, check: (index: number) => void, failures: Failure[]): void {
  for (let start = 0; start < count; start += BATCH) {
    const end = Math.min(start + BATCH, count);
    try {
      runTimeBoxed(() => { for (let i = start; i < end; i++) check(i); }, BATCH_TIME_BOX_MS);
    } catch (err) {
      if (!(err instanceof TimeBoxExceeded)) throw err;
      for (let i = start; i < end; i++) {
        try {
          runTimeBoxed(() => check(i), BATCH_TIME_BOX_MS);
        } catch (e) {
          if (!(e instanceof TimeBoxExceeded)) throw e;
          failures.push({ index: i, kind: 'hang', bytes: new Uint8Array(0), problem: `decoding ran longer than ${BATCH_TIME_BOX_MS} ms` });
          hangs++;
          return;
        }
      }
    }
  }
}

describe('decoder fuzz [protocol 1, 1.1]', () => {
  it(`decodeFrame: ${DECODE_FRAMES} random, mutated and hostile frames each give an array or ERR_BAD_FRAME, nothing else`, () => {
    const failures: Failure[] = [];
    const payloads = { decoded: 0, refused: 0 };
    const perKind = new Map<string, { frames: number; decoded: number; refused: number }>();
    let slowest = { ms: 0, index: -1, kind: '' };
    const started = performance.now();
    const cpu = process.cpuUsage();
    fuzzInBatches(DECODE_FRAMES, (index) => {
      const rng = frameRng(SEED, index);
      const { kind, bytes } = clientFrame(rng, rng.weighted(KINDS));
      const counts = perKind.get(kind) ?? { frames: 0, decoded: 0, refused: 0 };
      perKind.set(kind, counts);
      counts.frames++;
      const t = performance.now();
      try {
        const ops = decodeFrame(bytes);
        if (Array.isArray(ops)) counts.decoded++;
        else record(failures, { index, kind, bytes, problem: `decoded to a ${typeof ops}, not an array` });
      } catch (err) {
        if (err instanceof OrdoError && err.code === 'ERR_BAD_FRAME') counts.refused++;
        else record(failures, { index, kind, bytes, problem: `threw ${String(err)} (${(err as Error)?.constructor?.name})` });
      }
      // Every fourth frame also as a payload: the SDK decodes other clients' payloads with decodeValue (ERR_BAD_PAYLOAD wraps any Error).
      if (index % 4 === 0) {
        try {
          decodeValue(bytes);
          payloads.decoded++;
        } catch (err) {
          if (err instanceof Error) payloads.refused++;
          else record(failures, { index, kind, bytes, problem: `decodeValue threw a non-Error ${String(err)}` });
        }
      }
      const ms = performance.now() - t;
      if (ms > slowest.ms) slowest = { ms, index, kind };
    }, failures);
    const total = [...perKind.values()].reduce((a, c) => ({
      frames: a.frames + c.frames, decoded: a.decoded + c.decoded, refused: a.refused + c.refused,
    }), { frames: 0, decoded: 0, refused: 0 });
    console.log(`decoder fuzz (decodeFrame): seed ${SEED}, frames ${total.frames}, decoded ${total.decoded}, `
      + `ERR_BAD_FRAME ${total.refused}, other exceptions ${failures.length - hangs}, hangs ${hangs}, `
      + `as payloads (decodeValue) ${payloads.decoded} decoded and ${payloads.refused} refused, `
      + `slowest ${slowest.ms.toFixed(1)} ms (frame ${slowest.index}, ${slowest.kind}), ${seconds(started, cpu)}; `
      + [...perKind].map(([k, c]) => `${k} ${c.decoded}/${c.frames}`).join(', '));
    expect(failures, describeFailures(failures)).toEqual([]);
    expect(total.frames).toBe(DECODE_FRAMES);
    // Both outcomes were exercised by every kind that can produce them.
    expect(total.decoded).toBeGreaterThan(DECODE_FRAMES / 10);
    expect(total.refused).toBeGreaterThan(DECODE_FRAMES / 10);
  }, TEST_TIMEOUT_MS);

  it(`visitFrame (the SDK's decoder): ${VISIT_FRAMES} broker frames, as built and mutated; it agrees with decodeFrame wherever that decodes`, () => {
    const failures: Failure[] = [];
    let agreed = 0;
    let refused = 0;
    let lenient = 0;
    const started = performance.now();
    const cpu = process.cpuUsage();
    fuzzInBatches(VISIT_FRAMES, (index) => {
      const { kind, bytes } = brokerFrame(frameRng(SEED ^ 0x5a5a5a5a, index));
      let generic: unknown[] | undefined;
      try {
        generic = decodeFrame(bytes);
      } catch { /* refused: visitFrame must then throw an Error, or read what it can */ }
      const visited: string[] = [];
      try {
        visitFrame(bytes, collector(visited));
      } catch (err) {
        if (!(err instanceof Error)) record(failures, { index, kind, bytes, problem: `threw a non-Error ${String(err)}` });
        else if (generic !== undefined) record(failures, { index, kind, bytes, problem: `refused a frame decodeFrame reads: ${err.message}` });
        else refused++;
        return;
      }
      if (generic === undefined) {
        lenient++; // read a frame decodeFrame refuses (a count or trailing bytes it does not check): SDK-side only
        return;
      }
      const expected = generic.map((op) => canonOp(op));
      if (expected.join('\n') === visited.join('\n')) agreed++;
      else record(failures, { index, kind, bytes, problem: `visited ${visited.join(' | ')}; decodeFrame gives ${expected.join(' | ')}` });
    }, failures);
    console.log(`decoder fuzz (visitFrame): seed ${SEED}, frames ${VISIT_FRAMES}, agreed with decodeFrame ${agreed}, `
      + `refused ${refused}, read although decodeFrame refuses ${lenient}, disagreements or non-Errors ${failures.length}, ${seconds(started, cpu)}`);
    expect(failures, describeFailures(failures)).toEqual([]);
    expect(agreed).toBeGreaterThan(VISIT_FRAMES / 10);
  }, TEST_TIMEOUT_MS);

  it('visitFrame: a truncated MESSAGE does not poison the topic of the next frame (cache of the last topic)', () => {
    const got: string[] = [];
    const visitor: FrameVisitor = { message: (_s, topic) => { got.push(topic); }, other: () => undefined };
    const ab = [0x61, 0x62];
    // [[67, 1, "ab" claiming 5 bytes …: cut short.
    expect(() => visitFrame(Uint8Array.from([0x91, 0x98, 0x43, 0x01, 0xa5, ...ab]), visitor)).toThrow();
    visitFrame(Uint8Array.from([0x91, 0x98, 0x43, 0x01, 0xa2, ...ab, 0xc4, 0x01, 0xc0, 0xc0, 0xc0, 0x07, 0x08]), visitor);
    expect(got).toEqual(['ab']);
  });

  it('trailing bytes after a huge bigint are refused without turning it into text', () => {
    // msgpackr describes trailing bytes with a JSON view of the value: for a
    // bigint of a million bytes that took seconds of CPU per frame.
    const big = extension(0x42, new Rng(1).bytes(1_000_000), new Rng(2)).bytes;
    const frame = Uint8Array.from([0x91, ...big, 0xc0]);
    let error: unknown;
    runTimeBoxed(() => {
      try { decodeFrame(frame); } catch (err) { error = err; }
      try { decodeValue(frame.subarray(1)); } catch { /* refused too */ }
    }, BATCH_TIME_BOX_MS);
    expect(error).toBeInstanceOf(OrdoError);
    expect((error as OrdoError).code).toBe('ERR_BAD_FRAME');
    expect((error as OrdoError).message).not.toMatch(/Data read/);
    expect(() => decodeValue(frame.subarray(1))).toThrow(/after the value/);
  });
});

/** Wall and CPU seconds since `started` (the machine may be shared: CPU time says what the run cost). */
function seconds(started: number, cpu: NodeJS.CpuUsage): string {
  const used = process.cpuUsage(cpu);
  return `${((performance.now() - started) / 1000).toFixed(1)} s (${((used.user + used.system) / 1e6).toFixed(1)} s CPU)`;
}

/** Records what visitFrame hands its visitor, in the canonical form canonOp gives generic operations. */
function collector(out: string[]): FrameVisitor {
  return {
    message: (subId, topic, payload, seq, timestamp, deliveries, flags, order) => {
      out.push(canon([67, subId, topic, payload, null, null, seq, timestamp, deliveries, flags, order ?? null]));
    },
    other: (op) => { out.push(canonOp(op)); },
  };
}

/** A MESSAGE in its 11-element form (missing deliveries and flags are 0 [protocol 2.10]); anything else as it is. */
function canonOp(op: unknown): string {
  if (!Array.isArray(op) || op[0] !== 67 || op.length < 8 || op.length > 11) return canon(op);
  return canon([...op.slice(0, 8), op[8] ?? 0, op[9] ?? 0, op[10] ?? null]);
}

/** A deterministic text form of a decoded value: bytes as hex, bigints and special numbers spelt out. */
function canon(v: unknown, depth = 0): string {
  if (depth > 64) return '…';
  if (v === undefined) return 'undefined';
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return `bin:${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
  if (Array.isArray(v)) return `[${v.map((x) => canon(x, depth + 1)).join(',')}]`;
  if (v instanceof Date) return `date:${v.getTime()}`;
  if (typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${canon(x, depth + 1)}`).join(',')}}${v.constructor?.name ?? ''}`;
  return typeof v;
}
