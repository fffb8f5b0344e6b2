import type { IncomingMessage } from 'node:http';

/**
 * Cross-site WebSocket hijacking: a browser opens a WebSocket from any page
 * and sends the page's Origin, so the broker refuses origins not listed in
 * config allowedOrigins. Clients that send no Origin (Node, the CLI) are not
 * browsers and are not affected. '*' in the list allows any origin.
 */
export function isOriginAllowed(req: IncomingMessage, allowedOrigins: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return allowedOrigins.includes('*') || allowedOrigins.includes(origin);
}
