import type { Logger } from './logger.js';

/** What the connection lines say of a connection. */
export interface LoggedConnection {
  readonly connectionId: string;
  readonly clientId: string;
  readonly address: string;
  readonly principal: { readonly user: string };
  /** The protocol version agreed in the welcome. */
  readonly protocolVersion?: number;
  /** The client library its hello named. */
  readonly agent?: string | undefined;
}

/** The user a line names: none on a broker without authentication (its principal's user is ''). */
function userOf(conn: LoggedConnection): string | undefined {
  return conn.principal.user === '' ? undefined : conn.principal.user;
}

/** `connection_open` (info): the handshake is done and the welcome on its way [docs/operations.md, Logs]. */
export function logConnectionOpen(log: Logger, conn: LoggedConnection): void {
  log.info({
    event: 'connection_open', connectionId: conn.connectionId, clientId: conn.clientId, user: userOf(conn),
    address: conn.address, protocolVersion: conn.protocolVersion, agent: conn.agent,
  }, 'connection open');
}

/**
 * `connection_close`: info for a connection that was open; debug for one
 * that never finished its handshake (a refused login has its own
 * login_failed line). `code` and `reason` are the WebSocket close status and
 * reason (the error code when the broker closed it); `durationMs` counts from
 * the accepted upgrade.
 */
export function logConnectionClose(
  log: Logger, conn: LoggedConnection, wasOpen: boolean, close: { code: number; reason: string; durationMs: number },
): void {
  const line = {
    event: 'connection_close', connectionId: conn.connectionId, clientId: conn.clientId || undefined, user: userOf(conn),
    address: conn.address, code: close.code, reason: close.reason || undefined, durationMs: close.durationMs,
  };
  if (wasOpen) log.info(line, 'connection closed');
  else log.debug({ ...line, opened: false }, 'connection closed before its handshake finished');
}
