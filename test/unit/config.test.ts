import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, parseConfig } from '../../broker/config/index.js';
import { OrdoError } from '../../broker/errors/index.js';

/** Runs parseConfig and returns the ERR_BAD_CONFIG it throws. */
function configError(...inputs: unknown[]): OrdoError {
  try {
    parseConfig(...inputs);
  } catch (err) {
    expect(err).toBeInstanceOf(OrdoError);
    expect((err as OrdoError).code).toBe('ERR_BAD_CONFIG');
    return err as OrdoError;
  }
  throw new Error(`parseConfig accepted ${JSON.stringify(inputs)}`);
}

describe('parseConfig', () => {
  it('gives the defaults when called with nothing', () => {
    expect(parseConfig()).toEqual(DEFAULT_CONFIG);
    expect(parseConfig({}, undefined)).toEqual(DEFAULT_CONFIG);
  });

  it('keeps every limit finite by default', () => {
    for (const [name, value] of Object.entries(parseConfig().limits)) {
      expect(Number.isFinite(value), name).toBe(true);
    }
  });

  it('overrides single fields, nested limits included, and leaves the rest at their defaults', () => {
    const config = parseConfig({ port: 0, limits: { maxFrameBytes: 4096 } });
    expect(config.port).toBe(0);
    expect(config.limits.maxFrameBytes).toBe(4096);
    expect(config.limits.maxConnections).toBe(DEFAULT_CONFIG.limits.maxConnections);
    expect(config.host).toBe(DEFAULT_CONFIG.host);
  });

  it('lets later inputs override earlier ones (file, then flags)', () => {
    const config = parseConfig({ port: 1000, host: 'file-host', limits: { maxConnections: 5 } }, { port: 2000 });
    expect(config.port).toBe(2000);
    expect(config.host).toBe('file-host');
    expect(config.limits.maxConnections).toBe(5);
  });

  it('skips fields given as undefined', () => {
    expect(parseConfig({ port: undefined, limits: { maxConnections: undefined } })).toEqual(DEFAULT_CONFIG);
  });

  it('returns a frozen config, limits included', () => {
    const config = parseConfig({ port: 0 });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.limits)).toBe(true);
    expect(() => { (config as { port: number }).port = 1; }).toThrow(TypeError);
    expect(() => { (config.limits as { maxFrameBytes: number }).maxFrameBytes = 1; }).toThrow(TypeError);
  });

  it('does not share or change the defaults', () => {
    parseConfig({ port: 1, limits: { maxFrameBytes: 8192 } });
    expect(DEFAULT_CONFIG.port).toBe(7700);
    expect(DEFAULT_CONFIG.limits.maxFrameBytes).toBe(1024 * 1024);
    expect(parseConfig().limits).not.toBe(DEFAULT_CONFIG.limits);
  });

  it.each([
    [{ port: 'x' }, 'port'],
    [{ port: 99999 }, 'port'],
    [{ port: -1 }, 'port'],
    [{ port: 1.5 }, 'port'],
    [{ host: 42 }, 'host'],
    [{ host: '' }, 'host'],
    [{ dataDir: '' }, 'dataDir'],
    [{ dataDir: false }, 'dataDir'],
    [{ heartbeatMs: 0 }, 'heartbeatMs'],
    [{ heartbeatMs: Infinity }, 'heartbeatMs'],
    [{ limits: 5 }, 'limits'],
    [{ limits: [] }, 'limits'],
    [{ limits: { maxFrameBytes: 10 } }, 'limits.maxFrameBytes'],
    [{ limits: { maxFrameBytes: '4096' } }, 'limits.maxFrameBytes'],
    [{ limits: { maxConnections: 0 } }, 'limits.maxConnections'],
    [{ limits: { maxConnections: NaN } }, 'limits.maxConnections'],
    [{ limits: { maxSubscriptionsPerConnection: -1 } }, 'limits.maxSubscriptionsPerConnection'],
    [{ limits: { maxOutboundBytes: 1 } }, 'limits.maxOutboundBytes'],
    [{ limits: { flushBytes: 2 * 1024 * 1024 } }, 'limits.flushBytes'], // above maxFrameBytes
    [{ limits: { maxFrameBytes: 2048 } }, 'limits.maxFrameBytes'], // no room for a payload
    [{ limits: { maxOutboundBytes: 64 * 1024 } }, 'limits.maxOutboundBytes'], // below one frame
    [{ limits: { handshakeTimeoutMs: 1 } }, 'limits.handshakeTimeoutMs'],
    [{ limits: { handshakeTimeoutMs: 3_600_001 } }, 'limits.handshakeTimeoutMs'],
    [{ limits: { maxConnectionsPerUser: 0 } }, 'limits.maxConnectionsPerUser'],
    [{ limits: { maxConnectionsPerUser: 1_000_001 } }, 'limits.maxConnectionsPerUser'],
    [{ limits: { publishRate: 0 } }, 'limits.publishRate'],
    [{ limits: { publishRate: 1_000_000_001 } }, 'limits.publishRate'],
    [{ limits: { maxQueues: 0 } }, 'limits.maxQueues'],
    [{ limits: { maxQueues: 10_000_001 } }, 'limits.maxQueues'],
    [{ auth: { maxTokenTtlMs: 999 } }, 'auth.maxTokenTtlMs'],
    [{ auth: { maxTokenTtlMs: 315_360_000_001 } }, 'auth.maxTokenTtlMs'],
    [{ auth: { maxFailedLoginsPerMinute: 0 } }, 'auth.maxFailedLoginsPerMinute'],
    [{ auth: { maxFailedLoginsPerMinute: 1_000_001 } }, 'auth.maxFailedLoginsPerMinute'],
    [{ auth: { timeoutMs: 9 } }, 'auth.timeoutMs'],
    [{ auth: { timeoutMs: 600_001 } }, 'auth.timeoutMs'],
  ])('rejects %j naming %s', (input, field) => {
    const err = configError(input);
    expect(err.message).toContain(`config ${field} `);
  });

  it.each([
    [{ limits: { handshakeTimeoutMs: 10, maxConnectionsPerUser: 1, publishRate: 1, maxQueues: 1 } }],
    [{ limits: { handshakeTimeoutMs: 3_600_000, maxConnectionsPerUser: 1_000_000, publishRate: 1_000_000_000, maxQueues: 10_000_000 } }],
    [{ auth: { maxTokenTtlMs: 1000, maxFailedLoginsPerMinute: 1, timeoutMs: 10, tokenSecret: 'x'.repeat(32) } }],
    [{ auth: { maxTokenTtlMs: 315_360_000_000, maxFailedLoginsPerMinute: 1_000_000, timeoutMs: 600_000, tokenSecret: '' } }],
  ])('accepts the ends of the documented ranges: %j', (input) => {
    expect(() => parseConfig(input)).not.toThrow();
  });

  // Settings that go together [operations.md 2, start-up checks].
  it.each([
    [{ auth: { tokenSecret: 'x'.repeat(31) } }, 'auth.tokenSecret', /at least 32 characters/],
    [{ tls: { cert: 'cert.pem' } }, 'tls.key', /together with tls\.cert/],
    [{ tls: { key: 'key.pem' } }, 'tls.cert', /together with tls\.key/],
    [{ tls: { ca: 'ca.pem' } }, 'tls.ca', /needs tls\.cert/],
    [{ tls: { requireClientCert: true } }, 'tls.requireClientCert', /needs tls\.ca/],
    [{ tls: { cert: 'cert.pem', key: 'key.pem', requireClientCert: true } }, 'tls.requireClientCert', /needs tls\.ca/],
  ])('rejects %j naming %s', (input, field, reason) => {
    const err = configError(input);
    expect(err.message).toContain(`config ${field} `);
    expect(err.message).toMatch(reason);
  });

  it.each([
    [{ prot: 80 }, 'prot'],
    [{ limits: { maxFrames: 1 } }, 'limits.maxFrames'],
    [{ port: 0, ssl: {} }, 'ssl'],
  ])('rejects the unknown key in %j', (input, field) => {
    const err = configError(input);
    expect(err.message).toContain(`config ${field} `);
    expect(err.message).toMatch(/not a known setting/);
  });

  it.each([['a string', 'port=1'], ['null', null], ['an array', [1]], ['a number', 7]])('rejects %s as the whole input', (_name, input) => {
    expect(configError(input).message).toMatch(/config .*must be an object/);
  });

  it('names the field of the input that failed, even after a good one', () => {
    expect(configError({ port: 1 }, { limits: { maxConnections: 'many' } }).message).toContain('limits.maxConnections');
  });
});

describe('parseConfig: flushBytes follows maxFrameBytes', () => {
  it('lowers the default flushBytes to a smaller maxFrameBytes', () => {
    const config = parseConfig({ limits: { maxFrameBytes: 4096 } });
    expect(config.limits.flushBytes).toBe(4096);
  });

  it('still rejects an explicit flushBytes above maxFrameBytes', () => {
    expect(configError({ limits: { maxFrameBytes: 4096, flushBytes: 8192 } }).message).toContain('limits.flushBytes');
  });
});

describe('parseConfig: ordering.scopes [semantics 2.3]', () => {
  it('has no scopes by default (every total-order message is in scope default)', () => {
    expect(parseConfig().ordering.scopes).toEqual({});
  });

  it('keeps the scopes in the order given, merges later inputs over earlier ones, and freezes them', () => {
    const config = parseConfig({ ordering: { scopes: { orders: 'orders/#', eu: '+/eu/#' } } }, { ordering: { scopes: { audit: 'audit' } } });
    expect(Object.entries(config.ordering.scopes)).toEqual([['orders', 'orders/#'], ['eu', '+/eu/#'], ['audit', 'audit']]);
    expect(Object.isFrozen(config.ordering.scopes)).toBe(true);
    expect(DEFAULT_CONFIG.ordering.scopes).toEqual({});
  });

  it.each([
    [{ ordering: { scopes: { a: 'a/#/b' } } }, 'ordering.scopes.a', /topic pattern/],
    [{ ordering: { scopes: { a: '' } } }, 'ordering.scopes.a', /topic pattern/],
    [{ ordering: { scopes: { 'has space': 'x/#' } } }, 'ordering.scopes.has space', /named/],
    // An integer-like name would be put first by JavaScript, before the scopes configured ahead of it.
    [{ ordering: { scopes: { orders: 'orders/#', 2024: '#' } } }, 'ordering.scopes.2024', /a letter first/],
    [{ ordering: { scopes: { ['x'.repeat(65)]: 'x/#' } } }, `ordering.scopes.${'x'.repeat(65)}`, /named/],
    [{ ordering: { scopes: { default: 'x/#' } } }, 'ordering.scopes.default', /default/],
    [{ ordering: { scopes: { a: 5 } } }, 'ordering.scopes.a', /string/],
    [{ ordering: { scopes: { a: null } } }, 'ordering.scopes.a', /string/],
    [{ ordering: { scopes: { a: ['x'] } } }, 'ordering.scopes.a', /string/],
    [{ ordering: { scopes: 'orders/#' } }, 'ordering.scopes', /object/],
    [{ ordering: { scopes: ['orders/#'] } }, 'ordering.scopes', /object/],
    [{ ordering: { scopes: null } }, 'ordering.scopes', /object/],
    [{ ordering: 5 }, 'ordering', /object/],
    [{ ordering: { scope: {} } }, 'ordering.scope', /not a known setting/],
  ])('rejects %j naming %s', (input, field, reason) => {
    const err = configError(input);
    expect(err.message).toContain(`config ${field} `);
    expect(err.message).toMatch(reason);
  });
});
