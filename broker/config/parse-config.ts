import { OrdoError } from '../errors/index.js';
import { DEFAULT_SCOPE } from '../ordering/total-scopes.js';
import { topicPatternError } from '../protocol/topic-names.js';
import { DEFAULT_CONFIG, MAP_SETTINGS, type BrokerConfig } from './defaults.js';

/** One input of parseConfigFrom, and where its values came from (for the error that names one). */
export interface ConfigSource {
  /** Any subset of the settings (a parsed config file, the environment's, the flags'); undefined is skipped. */
  readonly input: unknown;
  /**
   * Where this input's value of `field` came from, added to an error about
   * that field: `in ordo.json`, `from ORDO_PORT`, `from --port`.
   */
  readonly origin?: (field: string) => string | undefined;
}

/**
 * Turns any input (a parsed config file, flags, startBroker options) into a
 * validated, frozen configuration. Later inputs override earlier ones; every
 * error names the field. Throws ERR_BAD_CONFIG.
 */
export function parseConfig(...inputs: unknown[]): Readonly<BrokerConfig> {
  return parseConfigFrom(inputs.map((input) => ({ input })));
}

/**
 * parseConfig over inputs that say where their values came from: an error
 * names the field and, when known, the source of its value:
 * `config port must be an integer from 0 to 65535, got 70000 (from ORDO_PORT)`.
 */
export function parseConfigFrom(sources: readonly ConfigSource[]): Readonly<BrokerConfig> {
  const merged = structuredClone(DEFAULT_CONFIG) as unknown as Record<string, unknown>;
  // The source of each field set by a source: the last one that set it.
  const setBy = new Map<string, string | undefined>();
  for (const { input, origin } of sources) {
    if (input === undefined) continue;
    const record = (field: string): void => { setBy.set(field, origin?.(field)); };
    naming((field) => origin?.(field), () => mergeInto(merged, input, '', DEFAULT_CONFIG as unknown as Record<string, unknown>, record));
  }
  const config = merged as unknown as BrokerConfig;
  naming((field) => originOf(setBy, field), () => checkValues(config, sources.some((s) => hasFlushBytes(s.input))));
  return deepFreeze(config);
}

/** Checks every value of a merged configuration (ranges, choices, settings that go together); throws ConfigFieldError. */
function checkValues(config: BrokerConfig, explicitFlushBytes: boolean): void {
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
  if (!explicitFlushBytes) (l as { flushBytes: number }).flushBytes = Math.min(l.flushBytes, l.maxFrameBytes);
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
}

const DURABILITIES: readonly string[] = ['fsync', 'os', 'memory'];
export const LOG_LEVELS: readonly string[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
export const LOG_FORMATS: readonly string[] = ['auto', 'json', 'pretty'];

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

/**
 * Copies `input` over `target` key by key, checking each key against
 * `shape` (the defaults) and each value's type; `record` hears of each
 * setting given (a map's entries one by one).
 */
function mergeInto(target: Record<string, unknown>, input: unknown, path: string, shape: Record<string, unknown>, record: (field: string) => void): void {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    fail(path, 'must be an object');
  }
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    const field = path ? `${path}.${key}` : key;
    if (value === undefined) continue;
    if (!(key in shape)) fail(field, 'is not a known setting');
    const expected = shape[key];
    if (MAP_SETTINGS.has(field)) {
      const entries = checkStringMap(field, value);
      target[key] = { ...(target[key] as object), ...entries };
      for (const name of Object.keys(entries)) record(`${field}.${name}`);
    } else if (Array.isArray(expected)) {
      target[key] = checkStringList(field, value);
      record(field);
    } else if (typeof expected === 'object' && expected !== null) {
      mergeInto(target[key] as Record<string, unknown>, value, field, expected as Record<string, unknown>, record);
    } else if (typeof value !== typeof expected) {
      fail(field, `must be a ${typeof expected}, got ${JSON.stringify(value)}`);
    } else {
      target[key] = value;
      record(field);
    }
  }
}

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

/** ERR_BAD_CONFIG about one field, which naming() looks up. */
class ConfigFieldError extends OrdoError {
  constructor(readonly field: string, message: string) {
    super('ERR_BAD_CONFIG', message);
  }
}

/** Throws ERR_BAD_CONFIG `config FIELD REASON` (field '': the whole input). */
function fail(field: string, reason: string): never {
  throw new ConfigFieldError(field, field === '' ? `config ${reason}` : `config ${field} ${reason}`);
}

/** Runs `body`; a ConfigFieldError it throws gets the field's origin appended: `… (from ORDO_PORT)`. */
function naming(originOf: (field: string) => string | undefined, body: () => void): void {
  try {
    body();
  } catch (err) {
    const origin = err instanceof ConfigFieldError ? originOf(err.field) : undefined;
    if (origin === undefined) throw err;
    throw new OrdoError('ERR_BAD_CONFIG', `${(err as Error).message} (${origin})`);
  }
}

/** The origin of `field`'s value, or of the setting it is part of (`allowedOrigins[2]` → `allowedOrigins`). */
function originOf(setBy: ReadonlyMap<string, string | undefined>, field: string): string | undefined {
  for (let f = field; f !== ''; f = f.replace(/(\[\d+\]|\.[^.[]*)$/, '')) {
    if (setBy.has(f)) return setBy.get(f);
    if (!/[.[]/.test(f)) break;
  }
  return undefined;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
