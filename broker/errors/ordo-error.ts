import { errorSpec, isErrorCode, type ErrorCode } from './catalogue.js';

/**
 * The one error type of Ordo, on both sides of the wire. `code` is stable and
 * is what programs branch on; `message` is for people.
 */
export class OrdoError extends Error {
  override readonly name = 'OrdoError';
  readonly code: ErrorCode;
  /** The request id this error answers, when it answers one. */
  readonly requestId: number | undefined;

  constructor(code: ErrorCode, message?: string, requestId?: number) {
    super(message ?? errorSpec(code).message);
    this.code = code;
    this.requestId = requestId;
  }

  /** The broker closes the connection after this error. */
  get isFatal(): boolean {
    return errorSpec(this.code).fatal;
  }

  /** Trying again later may succeed. */
  get isRetryable(): boolean {
    return errorSpec(this.code).retryable;
  }

  /**
   * Rebuilds an error received over the wire. An unknown code (a newer broker)
   * becomes ERR_INTERNAL carrying the original code in its message.
   */
  static fromWire(code: unknown, message: unknown, requestId?: number): OrdoError {
    const text = typeof message === 'string' ? message : undefined;
    if (isErrorCode(code)) return new OrdoError(code, text, requestId);
    return new OrdoError('ERR_INTERNAL', `${String(code)}: ${text ?? ''}`, requestId);
  }
}

/** True when `err` is an OrdoError, optionally with the given code. */
export function isOrdoError(err: unknown, code?: ErrorCode): err is OrdoError {
  return err instanceof OrdoError && (code === undefined || err.code === code);
}
