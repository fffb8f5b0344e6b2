/**
 * errors/: the error catalogue and OrdoError. Pure; imported by every other
 * module and by the client SDK (it is part of the wire contract).
 */
export { ERRORS, errorSpec, isErrorCode, codeForCloseStatus } from './catalogue.js';
export type { ErrorCode, ErrorSpec } from './catalogue.js';
export { OrdoError, isOrdoError } from './ordo-error.js';
