import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * Cross-site WebSocket hijacking: a browser opens a WebSocket from any page
 * and sends the page's Origin, so the broker refuses origins not listed in
 * config allowedOrigins. Clients that send no Origin (Node, the CLI) are not
 * browsers and are not affected. '*' in the list allows any origin.
 *
 * The broker's own origin is allowed as well, so that the web console it
 * serves can connect back: an Origin equal to the request's scheme and Host
 * header — but only when that Host is an IP address or `localhost`. A page
 * of an attacker's domain whose name was rebound to the broker's address
 * (DNS rebinding) also sends an Origin equal to its Host; IP literals cannot
 * be rebound. A console reached by a host name needs that origin in
 * allowedOrigins.
 */
export function isOriginAllowed(req: IncomingMessage, allowedOrigins: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return allowedOrigins.includes('*') || allowedOrigins.includes(origin) || isOwnOrigin(req, origin);
}

/** True when `origin` is the broker's own (scheme and Host header) and that Host cannot be a rebound name. */
function isOwnOrigin(req: IncomingMessage, origin: string): boolean {
  const host = req.headers.host?.toLowerCase();
  if (host === undefined || !isLiteralHost(host)) return false;
  const scheme = (req.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http';
  return origin.toLowerCase() === `${scheme}://${host}`;
}

/** `localhost`, an IPv4 address or a bracketed IPv6 address, each with an optional port. */
function isLiteralHost(host: string): boolean {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::\d{1,5})?$/.exec(host);
  if (match === null) return false;
  const name = match[1];
  if (name === 'localhost') return true;
  return name.startsWith('[') ? isIP(name.slice(1, -1)) === 6 : isIP(name) === 4;
}
