import { describe, expect, it } from 'vitest';
import {
  ERRORS, OrdoError, codeForCloseStatus, errorSpec, isErrorCode, isOrdoError, type ErrorCode, type ErrorSpec,
} from '../../broker/errors/index.js';

const codes = Object.keys(ERRORS) as ErrorCode[];
const spec = (code: ErrorCode): ErrorSpec => errorSpec(code);

describe('the error catalogue', () => {
  it('names every code ERR_ in upper snake case, with a message', () => {
    for (const code of codes) {
      expect(code).toMatch(/^ERR_[A-Z0-9_]+$/);
      expect(spec(code).message.length, code).toBeGreaterThan(0);
    }
  });

  it('holds the codes DESIGN.md promises', () => {
    for (const code of ['ERR_BAD_FRAME', 'ERR_UNAUTHORIZED', 'ERR_FORBIDDEN', 'ERR_NOT_FOUND', 'ERR_LIMIT', 'ERR_CONFLICT']) {
      expect(isErrorCode(code), code).toBe(true);
    }
  });

  it('gives every fatal code a WebSocket close status, and no other code one', () => {
    for (const code of codes) {
      const { fatal, closeCode } = spec(code);
      if (fatal) {
        expect(closeCode, code).toBeDefined();
        // 1000–1015 are the RFC 6455 statuses; 4000–4999 are for applications.
        expect(closeCode! >= 1001 && closeCode! <= 1015 || closeCode! >= 4000 && closeCode! <= 4999, code).toBe(true);
        expect([1004, 1005, 1006, 1015], `${code} uses a status that must not be sent`).not.toContain(closeCode);
      } else {
        expect(closeCode, code).toBeUndefined();
      }
    }
  });

  it('keeps client-side codes off the wire: never fatal', () => {
    for (const code of codes.filter((c) => spec(c).origin === 'client')) {
      expect(spec(code).fatal, code).toBe(false);
    }
  });

  it('maps every close status the broker sends back to a code that uses it', () => {
    for (const code of codes.filter((c) => spec(c).fatal)) {
      const back = codeForCloseStatus(spec(code).closeCode!);
      expect(back, code).toBeDefined();
      expect(spec(back!).closeCode).toBe(spec(code).closeCode);
      expect(spec(back!).origin).toBe('broker');
    }
  });

  it('round-trips close statuses exactly, except the one shared on purpose (1002: handshake and version)', () => {
    const byStatus = new Map<number, ErrorCode[]>();
    for (const code of codes.filter((c) => spec(c).fatal)) {
      const status = spec(code).closeCode!;
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
    const shared = [...byStatus].filter(([, list]) => list.length > 1);
    // A new collision makes close statuses ambiguous for the SDK: it must be a decision, so it fails here.
    expect(shared).toEqual([[1002, ['ERR_HANDSHAKE', 'ERR_VERSION']]]);
    for (const [status, list] of byStatus) {
      if (list.length === 1) expect(codeForCloseStatus(status)).toBe(list[0]);
    }
  });

  it('maps statuses no broker error uses to nothing', () => {
    for (const status of [1000, 1005, 1006, 1011, 4999]) {
      expect(codeForCloseStatus(status), String(status)).toBeUndefined();
    }
  });

  it('maps the statuses the protocol names to their codes', () => {
    expect(codeForCloseStatus(1007)).toBe('ERR_BAD_FRAME');
    expect(codeForCloseStatus(1009)).toBe('ERR_FRAME_TOO_LARGE');
    expect(codeForCloseStatus(1001)).toBe('ERR_SHUTTING_DOWN');
  });

  it('isErrorCode accepts catalogued codes only, not inherited properties', () => {
    expect(isErrorCode('ERR_LIMIT')).toBe(true);
    for (const v of ['ERR_NOPE', 'toString', '__proto__', 'constructor', '', 42, null, undefined]) {
      expect(isErrorCode(v), String(v)).toBe(false);
    }
  });
});

describe('OrdoError', () => {
  it('carries code, request id and the catalogue message by default', () => {
    const err = new OrdoError('ERR_NOT_FOUND', undefined, 12);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('OrdoError');
    expect(err.code).toBe('ERR_NOT_FOUND');
    expect(err.requestId).toBe(12);
    expect(err.message).toBe(ERRORS.ERR_NOT_FOUND.message);
  });

  it('reads fatal and retryable from the catalogue', () => {
    for (const code of codes) {
      const err = new OrdoError(code);
      expect(err.isFatal, code).toBe(spec(code).fatal);
      expect(err.isRetryable, code).toBe(spec(code).retryable);
    }
  });

  it('fromWire rebuilds a known code with the wire message and request id', () => {
    const err = OrdoError.fromWire('ERR_BAD_TOPIC', "topic 'a/#' contains a wildcard", 7);
    expect(err.code).toBe('ERR_BAD_TOPIC');
    expect(err.message).toBe("topic 'a/#' contains a wildcard");
    expect(err.requestId).toBe(7);
  });

  it('fromWire turns an unknown code into ERR_INTERNAL that still names the original', () => {
    const err = OrdoError.fromWire('ERR_FROM_THE_FUTURE', 'something new', 3);
    expect(err).toBeInstanceOf(OrdoError);
    expect(err.code).toBe('ERR_INTERNAL');
    expect(err.message).toContain('ERR_FROM_THE_FUTURE');
    expect(err.message).toContain('something new');
    expect(err.requestId).toBe(3);
  });

  it.each([[42], [null], [undefined], [{ code: 'ERR_LIMIT' }], ['toString']])('fromWire survives the code %j', (code) => {
    const err = OrdoError.fromWire(code, 'm');
    expect(err.code).toBe('ERR_INTERNAL');
  });

  it('fromWire falls back to the catalogue message when the wire message is not a string', () => {
    expect(OrdoError.fromWire('ERR_LIMIT', 12345).message).toBe(ERRORS.ERR_LIMIT.message);
    expect(OrdoError.fromWire('ERR_LIMIT', undefined).message).toBe(ERRORS.ERR_LIMIT.message);
  });

  it('isOrdoError checks the type and, when given, the code', () => {
    const err = new OrdoError('ERR_LIMIT');
    expect(isOrdoError(err)).toBe(true);
    expect(isOrdoError(err, 'ERR_LIMIT')).toBe(true);
    expect(isOrdoError(err, 'ERR_CONFLICT')).toBe(false);
    expect(isOrdoError(new Error('ERR_LIMIT'))).toBe(false);
    expect(isOrdoError({ code: 'ERR_LIMIT' })).toBe(false);
  });
});
