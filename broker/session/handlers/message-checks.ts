import type { ErrorCode } from '../../errors/index.js';
import { topicNameError } from '../../protocol/index.js';
import type { Connection } from '../connection.js';
import { maxPayloadBytes } from '../limits.js';

/** Why a message's payload or replyTo is refused (publish and send share these rules), or undefined. */
export function messageError(conn: Connection, payload: Uint8Array, replyTo: string | null | undefined): [ErrorCode, string] | undefined {
  const maxPayload = maxPayloadBytes(conn.broker.config.limits.maxFrameBytes);
  if (payload.length > maxPayload) return ['ERR_LIMIT', `payload of ${payload.length} bytes exceeds the limit of ${maxPayload}`];
  if (replyTo != null) {
    const replyToError = topicNameError(replyTo);
    if (replyToError !== undefined) return ['ERR_BAD_REQUEST', `replyTo: ${replyToError}`];
  }
  return undefined;
}

/** Answers a failed stored operation: its OrdoError code, or ERR_INTERNAL. */
export function replyFailure(conn: Connection, reqId: number, err: unknown): void {
  const code = (err as { code?: ErrorCode }).code;
  conn.replyError(reqId, typeof code === 'string' && code.startsWith('ERR_') ? code : 'ERR_INTERNAL', (err as Error).message);
}
