import { OrdoError } from '../errors/index.js';
import { DEFAULT_SCOPE } from '../ordering/total-scopes.js';
import { topicPatternError } from '../protocol/topic-names.js';
import { DEFAULT_CONFIG, type BrokerConfig } from './defaults.js';

/**
 * Turns any input (a parsed config file, flags, startBroker options) into a
 * validated, frozen configuration. Later inputs override earlier ones; every
 * error names the field. Throws ERR_BAD_CONFIG.
 */
export function parseConfig(...inputs: unknown[]): Readonly<BrokerConfig> {
  const merged = structuredClone(DEFAULT_CONFIG) as unknown as Record<string, unknown>;
  for (const input of inputs) {
    if (input === undefined) continue;
    mergeInto(merged, input, '', DEFAULT_CONFIG as unknown as Record<string, unknown>);
  }
  const config = merged as unknown as BrokerConfig;
  checkRange('port', config.port, 0, 65535);
  if (config.host.length === 0) fail('host', 'must not be empty');
  if (config.dataDir.length === 0) fail('dataDir', 'must not be empty');
  checkOneOf('durability', config.durability, DURABILITIES);
  const l = config.limits;
  // A frame must hold a publish's payload limit plus its overhead (session/limits.ts): 4 KiB at least.
  checkRange('limits.maxFrameBytes', l.maxFrameBytes, 4096, 256 * 1024 * 1024);
  checkRange('limits.maxConnections', l.maxConnections, 1, 1_000_000);
  checkRange('limits.maxSubscriptionsPerConnection', l.maxSubscriptionsPerConnection, 1, 10_000_000);
  // Below one frame, every large message would be dropped.
  checkRange('limits.maxOutboundBytes', l.maxOutboundBytes, l.maxFrameBytes, 4 * 1024 * 1024 * 1024);
  // The default flush size follows a smaller maxFrameBytes; only an explicit flushBytes above it is an error.
  if (!inputs.some(hasFlushBytes)) (l as { flushBytes: number }).flushBytes = Math.min(l.flushBytes, l.maxFrameBytes);
  checkRange('limits.flushBytes', l.flushBytes, 512, l.maxFrameBytes);
  checkRange('limits.handshakeTimeoutMs', l.handshakeTimeoutMs, 10, 3_600_000);
  checkRange('limits.maxConnectionsPerUser', l.maxConnectionsPerUser, 1, 1_000_000);
  checkRange('limits.maxQueues', l.maxQueues, 1, 10_000_000);
  checkRange('limits.publishRate', l.publishRate, 1, 1_000_000_000);
  checkRange('limits.publishBytesRate', l.publishBytesRate, l.maxFrameBytes, Number.MAX_SAFE_INTEGER);
  checkRange('limits.maxInFlightPerConnection', l.maxInFlightPerConnection, 1, 10_000_000);
  checkRange('limits.maxUnackedPerConnection', l.maxUnackedPerConnection, 1, 100_000_000);
  checkRange('limits.memoryHighWatermarkBytes', l.memoryHighWatermarkBytes, 0, Number.MAX_SAFE_INTEGER);
  checkRange('limits.diskFreeLimitBytes', l.diskFreeLimitBytes, 0, Number.MAX_SAFE_INTEGER);
  checkAuth(config);
  checkTls(config.tls);
  checkOrigins(config.allowedOrigins);
  checkRange('heartbeatMs', config.heartbeatMs, 10, 3_600_000);
  checkOneOf('log.level', config.log.level, LOG_LEVELS);
  checkOneOf('log.format', config.log.format, LOG_FORMATS);
  checkRange('queues.messageCacheBytes', config.queues.messageCacheBytes, 0, 64 * 1024 * 1024 * 1024);
  const r = config.retention;
  checkRange('retention.maxMessages', r.maxMessages, 0, 1_000_000_000);
  checkRange('retention.maxBytes', r.maxBytes, 0, Number.MAX_SAFE_INTEGER);
  checkRange('retention.maxAgeMs', r.maxAgeMs, 0, 100 * 365 * 24 * 3_600_000);
  checkRange('retention.compactIntervalMs', r.compactIntervalMs, 10, 3_600_000);
  checkRange('producers.window', config.producers.window, 1, 1_000_000);
  checkRange('producers.idleMs', config.producers.idleMs, 1000, 365 * 24 * 3_600_000);
  checkRange('producers.maxProducers', config.producers.maxProducers, 1, 10_000_000);
  checkScopes(config.ordering.scopes);
  return deepFreeze(config);
}

const DURABILITIES: readonly string[] = ['fsync', 'os', 'memory'];
export const LOG_LEVELS: readonly string[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
const LOG_FORMATS: readonly string[] = ['auto', 'json', 'pretty'];

function checkOneOf(field: string, value: string, allowed: readonly string[]): void {
  if (!allowed.includes(value)) fail(field, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
}

/**
 * Scope names: what MESSAGE's order map carries; `default` is the scope of
 * what no pattern matches. A letter first: JavaScript objects put
 * integer-like keys before the others, which would reorder the patterns.
 */
const SCOPE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

function checkScopes(scopes: Readonly<Record<string, string>>): void {
  for (const [name, pattern] of Object.entries(scopes)) {
    if (!SCOPE_NAME.test(name)) fail(`ordering.scopes.${name}`, 'must be named with 1 to 64 letters, digits, _ . or -, a letter first');
    if (name === DEFAULT_SCOPE) fail(`ordering.scopes.${name}`, `cannot be configured: '${DEFAULT_SCOPE}' holds what no pattern matches`);
    const bad = topicPatternError(pattern);
    if (bad !== undefined) fail(`ordering.scopes.${name}`, `is not a topic pattern: ${bad}`);
  }
}

const MIN_TOKEN_SECRET_CHARS = 32;

function checkAuth(config: BrokerConfig): void {
  const a = config.auth;
  if (a.tokenSecret !== '' && a.tokenSecret.length < MIN_TOKEN_SECRET_CHARS) {
    fail('auth.tokenSecret', `must be at least ${MIN_TOKEN_SECRET_CHARS} characters (or empty: one is made and kept in the store)`);
  }
  checkRange('auth.maxTokenTtlMs', a.maxTokenTtlMs, 1000, 10 * 365 * 24 * 3_600_000);
  checkRange('auth.maxFailedLoginsPerMinute', a.maxFailedLoginsPerMinute, 1, 1_000_000);
  checkRange('auth.timeoutMs', a.timeoutMs, 10, 600_000);
}

function checkTls(tls: BrokerConfig['tls']): void {
  if ((tls.cert === '') !== (tls.key === '')) fail(tls.cert === '' ? 'tls.cert' : 'tls.key', 'must be given together with tls.' + (tls.cert === '' ? 'key' : 'cert'));
  if (tls.ca !== '' && tls.cert === '') fail('tls.ca', 'needs tls.cert and tls.key (client certificates are checked over TLS only)');
  if (tls.requireClientCert && tls.ca === '') fail('tls.requireClientCert', 'needs tls.ca (the CA client certificates must chain to)');
}

function checkOrigins(origins: readonly string[]): void {
  origins.forEach((origin, i) => {
    if (origin === '*') return;
    let url: URL | undefined;
    try { url = new URL(origin); } catch { /* reported below */ }
    if (url === undefined || url.origin !== origin) fail(`allowedOrigins[${i}]`, `must be an origin such as https://app.example.com (scheme, host, optional port), or *; got ${JSON.stringify(origin)}`);
  });
}

function mergeInto(target: Record<string, unknown>, input: unknown, path: string, shape: Record<string, unknown>): void {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    fail(path || 'config', 'must be an object');
  }
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    const field = path ? `${path}.${key}` : key;
    if (value === undefined) continue;
    if (!(key in shape)) fail(field, 'is not a known setting');
    const expected = shape[key];
    if (FREE_MAPS.has(field)) {
      target[key] = { ...(target[key] as object), ...checkStringMap(field, value) };
    } else if (Array.isArray(expected)) {
      target[key] = checkStringList(field, value);
    } else if (typeof expected === 'object' && expected !== null) {
      mergeInto(target[key] as Record<string, unknown>, value, field, expected as Record<string, unknown>);
    } else if (typeof value !== typeof expected) {
      fail(field, `must be a ${typeof expected}, got ${JSON.stringify(value)}`);
    } else {
      target[key] = value;
    }
  }
}

/** Settings whose keys are the user's (names), each mapping to a string. */
const FREE_MAPS = new Set(['ordering.scopes']);

function checkStringMap(field: string, value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(field, 'must be an object of strings');
  for (const [k, v] of Object.entries(value)) if (typeof v !== 'string') fail(`${field}.${k}`, `must be a string, got ${JSON.stringify(v)}`);
  return value as Record<string, string>;
}

function checkStringList(field: string, value: unknown): string[] {
  if (!Array.isArray(value)) fail(field, 'must be an array of strings');
  value.forEach((v, i) => { if (typeof v !== 'string') fail(`${field}[${i}]`, `must be a string, got ${JSON.stringify(v)}`); });
  return [...value] as string[];
}

function hasFlushBytes(input: unknown): boolean {
  return (input as { limits?: { flushBytes?: unknown } } | null | undefined)?.limits?.flushBytes !== undefined;
}

function checkRange(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(field, `must be an integer from ${min} to ${max}, got ${value}`);
  }
}

function fail(field: string, reason: string): never {
  throw new OrdoError('ERR_BAD_CONFIG', `config ${field} ${reason}`);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
