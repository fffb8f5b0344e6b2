/**
 * The error catalogue: every error code Ordo puts on the wire or raises in the
 * SDK. One entry per code; the client rebuilds a typed error from the code
 * alone and never parses message text. docs/protocol.md lists the same codes
 * (a test keeps the two in step).
 *
 * - `fatal`: the broker closes the connection after sending this error, with
 *   `closeCode` as the WebSocket close status.
 * - `retryable`: the same request may succeed if tried again later.
 * - `origin`: `broker` codes travel in ERR ops; `client` codes are raised by
 *   the SDK itself (timeouts, lost connections).
 */
export const ERRORS = {
  ERR_BAD_FRAME: {
    message: 'frame is not a MessagePack array of operations',
    fatal: true, retryable: false, closeCode: 1007, origin: 'broker',
  },
  ERR_BAD_REQUEST: {
    message: 'operation has missing or mistyped fields',
    fatal: false, retryable: false, origin: 'broker',
  },
  ERR_UNKNOWN_OP: {
    message: 'unknown operation code',
    fatal: false, retryable: false, origin: 'broker',
  },
  ERR_HANDSHAKE: {
    message: 'the first operation must be hello, and only the first',
    fatal: true, retryable: false, closeCode: 1002, origin: 'broker',
  },
  ERR_VERSION: {
    message: 'protocol version not supported',
    fatal: true, retryable: false, closeCode: 1002, origin: 'broker',
  },
  ERR_BAD_TOPIC: {
    message: 'invalid topic name',
    fatal: false, retryable: false, origin: 'broker',
  },
  ERR_BAD_PATTERN: {
    message: 'invalid topic pattern',
    fatal: false, retryable: false, origin: 'broker',
  },
  ERR_UNAUTHORIZED: {
    message: 'authentication failed',
    fatal: true, retryable: false, closeCode: 1008, origin: 'broker',
  },
  ERR_FORBIDDEN: {
    message: 'operation not permitted',
    fatal: false, retryable: false, origin: 'broker',
  },
  ERR_GRANTS_CHANGED: {
    message: "this user's roles or ACL rules changed: connect again",
    fatal: true, retryable: true, closeCode: 4001, origin: 'broker',
  },
  ERR_KICKED: {
    message: 'an administrator closed this connection',
    fatal: true, retryable: true, closeCode: 4002, origin: 'broker',
  },
  ERR_NOT_FOUND: {
    message: 'no such subscription, queue or resource',
    fatal: false, retryable: false, origin: 'broker',
  },
  ERR_CONFLICT: {
    message: 'conflicts with existing state',
    fatal: false, retryable: false, origin: 'broker',
  },
  ERR_LIMIT: {
    message: 'a broker limit was exceeded',
    fatal: false, retryable: true, origin: 'broker',
  },
  ERR_FRAME_TOO_LARGE: {
    message: 'frame exceeds the maximum frame size',
    fatal: true, retryable: false, closeCode: 1009, origin: 'broker',
  },
  ERR_TOO_MANY_CONNECTIONS: {
    message: 'the broker has reached its maximum number of connections',
    fatal: true, retryable: true, closeCode: 1013, origin: 'broker',
  },
  ERR_UNSUPPORTED: {
    message: 'feature not supported by this broker',
    fatal: false, retryable: false, origin: 'broker',
  },
  ERR_NO_RESPONDERS: {
    message: 'no subscriber for the request topic',
    fatal: false, retryable: true, origin: 'broker',
  },
  ERR_SHUTTING_DOWN: {
    message: 'the broker is shutting down',
    fatal: true, retryable: true, closeCode: 1001, origin: 'broker',
  },
  ERR_INTERNAL: {
    message: 'internal broker error',
    fatal: false, retryable: true, origin: 'broker',
  },
  ERR_BAD_CONFIG: {
    message: 'invalid broker configuration',
    fatal: false, retryable: false, origin: 'broker',
  },
  ERR_TIMEOUT: {
    message: 'timed out waiting for a reply',
    fatal: false, retryable: true, origin: 'client',
  },
  ERR_DISCONNECTED: {
    message: 'the connection to the broker was lost',
    fatal: false, retryable: true, origin: 'client',
  },
  ERR_UNREACHABLE: {
    message: 'cannot reach the broker',
    fatal: false, retryable: true, origin: 'client',
  },
  ERR_CLOSED: {
    message: 'the client is closed',
    fatal: false, retryable: false, origin: 'client',
  },
  ERR_BAD_PAYLOAD: {
    message: 'the payload is not a MessagePack value this SDK accepts',
    fatal: false, retryable: false, origin: 'client',
  },
  ERR_REMOTE: {
    message: 'the responder failed to handle the request',
    fatal: false, retryable: false, origin: 'client',
  },
  ERR_BUFFER_FULL: {
    message: 'the client outbound buffer is full',
    fatal: false, retryable: true, origin: 'client',
  },
} as const satisfies Record<string, ErrorSpec>;

/** What the catalogue says of one code. */
export interface ErrorSpec {
  /** Default human message (the wire may carry a more specific one). */
  readonly message: string;
  /** The broker closes the connection after sending it. */
  readonly fatal: boolean;
  /** Trying the same request again later may succeed. */
  readonly retryable: boolean;
  /** WebSocket close status used when `fatal`. */
  readonly closeCode?: number;
  /** Who raises it. */
  readonly origin: 'broker' | 'client';
}

/** Every error code, as a union of string literals. */
export type ErrorCode = keyof typeof ERRORS;

/** True when `code` is a catalogued error code. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERRORS, code);
}

/** The catalogue entry for `code`. */
export function errorSpec(code: ErrorCode): ErrorSpec {
  return ERRORS[code];
}

/** Maps a WebSocket close status sent by the broker back to its error code. */
export function codeForCloseStatus(status: number): ErrorCode | undefined {
  for (const code of Object.keys(ERRORS) as ErrorCode[]) {
    const spec: ErrorSpec = ERRORS[code];
    if (spec.closeCode === status && spec.origin === 'broker') return code;
  }
  return undefined;
}
