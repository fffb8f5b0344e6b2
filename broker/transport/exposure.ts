import { isIP } from 'node:net';
import { OrdoError } from '../errors/index.js';
import type { BrokerConfig } from '../config/index.js';

/**
 * True for addresses only this machine can reach: 127.0.0.0/8, ::1 (and its
 * IPv4-mapped form) and `localhost`. 0.0.0.0 and :: listen on every interface,
 * so they are not loopback; other host names are not resolved and count as
 * exposed.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/**
 * Refuses (ERR_BAD_CONFIG) to listen beyond loopback while anyone may connect
 * without credentials, unless the operator said so with auth.allowAnonymous:
 * exposing an open broker must be a decision, not an accident.
 */
export function checkExposure(config: Readonly<BrokerConfig>): void {
  if (isLoopbackHost(config.host) || config.auth.enabled || config.auth.allowAnonymous) return;
  throw new OrdoError('ERR_BAD_CONFIG',
    `config host ${config.host} is not a loopback address and authentication is off: `
    + 'set auth.enabled (--auth), or auth.allowAnonymous (--allow-anonymous) to accept anonymous clients on this address');
}
