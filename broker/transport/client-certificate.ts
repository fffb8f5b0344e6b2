import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

/**
 * The common name of the client certificate on `socket`, when the TLS layer
 * verified it against tls.ca (`authorized`). An unverified certificate (with
 * tls.requireClientCert off) names nobody.
 */
export function certificateUserOf(socket: Socket): string | undefined {
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  const cn = socket.getPeerCertificate().subject?.CN;
  // A subject with several CNs is ambiguous: it names no user.
  return typeof cn === 'string' && cn.length > 0 ? cn : undefined;
}
