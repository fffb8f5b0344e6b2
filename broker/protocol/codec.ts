import { Packr, Unpackr } from 'msgpackr';
import { OrdoError } from '../errors/index.js';

/**
 * MessagePack encoding of frames and payloads [protocol 1]. Standard
 * MessagePack only: msgpackr's record extension is off so any MessagePack
 * library can speak the protocol.
 */
const packr = new Packr({ useRecords: false, encodeUndefinedAsNil: true });

/**
 * The one decoder for untrusted bytes, on both sides of the wire:
 * - structuredClone false: msgpackr's id/pointer extensions would let a
 *   few hundred bytes decode into a shared graph that expands to 2^depth
 *   values when walked (re-encoded, stringified) — refused instead;
 * - int64AsType 'auto': 64-bit integers (timestamps) decode as numbers while
 *   they are safe integers ('auto' is missing from msgpackr's types).
 */
export const unpackr = new Unpackr({
  useRecords: false, mapsAsObjects: true, structuredClone: false, int64AsType: 'auto' as 'number',
});

/** Encodes one value as MessagePack. The result may be a view into a shared buffer: copy before mutating. */
export function encodeValue(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** Decodes one MessagePack value; bin values come back as views into `bytes` (no copy). */
export function decodeValue(bytes: Uint8Array): unknown {
  return binView(bytes) ?? unpackOne(bytes);
}

/**
 * Reads exactly one MessagePack value, with two guards msgpackr lacks for
 * untrusted bytes (each made a 1 MiB frame cost seconds of CPU):
 * - trailing bytes are found from where sequential mode says the value
 *   ended: msgpackr's own check puts a JSON view of the value in its error
 *   message, and a bigint of a million bytes takes seconds to turn into text;
 * - no stack traces while decoding: msgpackr's Error extension (0x65) makes
 *   a real Error per value, and captured a stack for each.
 */
export function unpackOne(bytes: Uint8Array): unknown {
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let value: unknown;
  let end = -1;
  try {
    unpackr.unpackMultiple(bytes, (first: unknown, _start?: number, stop?: number) => {
      value = first;
      end = stop ?? -1;
      return false;
    });
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  if (end !== bytes.length) throw new Error(`${bytes.length - end} bytes after the value`);
  return value;
}

/**
 * When `bytes` is exactly one bin value (a published byte payload), its
 * content as a view — what msgpackr would return, without the call.
 */
function binView(bytes: Uint8Array): Uint8Array | undefined {
  const t = bytes[0];
  let start: number;
  let length: number;
  if (t === 0xc4) {
    start = 2;
    length = bytes[1];
  } else if (t === 0xc5) {
    start = 3;
    length = (bytes[1] << 8) | bytes[2];
  } else {
    return undefined;
  }
  return start + length === bytes.length ? bytes.subarray(start) : undefined;
}

/** Encodes a frame: an array of operations [protocol 1.1]. */
export function encodeFrame(ops: readonly unknown[]): Uint8Array {
  return packr.pack(ops);
}

/**
 * Decodes a frame [protocol 1.1]. Anything that is not exactly one
 * MessagePack array raises ERR_BAD_FRAME.
 */
export function decodeFrame(bytes: Uint8Array): unknown[] {
  let value: unknown;
  try {
    value = unpackOne(bytes);
  } catch (err) {
    throw new OrdoError('ERR_BAD_FRAME', `frame is not valid MessagePack: ${(err as Error).message}`);
  }
  if (!Array.isArray(value)) throw new OrdoError('ERR_BAD_FRAME', 'frame must be an array of operations');
  return value;
}
