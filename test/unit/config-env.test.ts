import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  configFromEnv, DEFAULT_CONFIG, envName, ENV_SETTINGS, NON_SETTING_VARIABLES, parseConfigFrom,
} from '../../broker/config/index.js';
import { OrdoError } from '../../broker/errors/index.js';

/** The ERR_BAD_CONFIG message that reading `env` (and validating it) throws. */
function envError(env: Record<string, string>): string {
  try {
    parseConfigFrom([configFromEnv(env)]);
  } catch (err) {
    expect(err).toBeInstanceOf(OrdoError);
    expect((err as OrdoError).code).toBe('ERR_BAD_CONFIG');
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

/** Every leaf of the defaults: `limits.maxFrameBytes`, …, with ordering.scopes as one. */
function leafFields(shape: object, path = ''): string[] {
  return Object.entries(shape).flatMap(([key, value]) => {
    const field = path === '' ? key : `${path}.${key}`;
    const isSection = typeof value === 'object' && value !== null && !Array.isArray(value) && field !== 'ordering.scopes';
    return isSection ? leafFields(value as object, field) : [field];
  });
}

describe('environment variable names', () => {
  it.each([
    ['port', 'ORDO_PORT'],
    ['host', 'ORDO_HOST'],
    ['dataDir', 'ORDO_DATA_DIR'],
    ['durability', 'ORDO_DURABILITY'],
    ['limits.maxFrameBytes', 'ORDO_LIMITS_MAX_FRAME_BYTES'],
    ['auth.enabled', 'ORDO_AUTH_ENABLED'],
    ['tls.requireClientCert', 'ORDO_TLS_REQUIRE_CLIENT_CERT'],
    ['log.level', 'ORDO_LOG_LEVEL'],
    ['http.console', 'ORDO_HTTP_CONSOLE'],
    ['allowedOrigins', 'ORDO_ALLOWED_ORIGINS'],
    ['ordering.scopes', 'ORDO_ORDERING_SCOPES'],
  ])('%s is %s', (field, variable) => {
    expect(envName(field)).toBe(variable);
    expect(ENV_SETTINGS.find((s) => s.field === field)?.variable).toBe(variable);
  });

  it('names every setting once, with distinct names, none of them a client variable', () => {
    expect(ENV_SETTINGS.map((s) => s.field)).toEqual(leafFields(DEFAULT_CONFIG));
    const names = ENV_SETTINGS.map((s) => s.variable);
    expect(new Set(names).size).toBe(names.length);
    for (const name of NON_SETTING_VARIABLES) expect(names).not.toContain(name);
  });

  it('types each variable by its default', () => {
    const kind = (field: string): string | undefined => ENV_SETTINGS.find((s) => s.field === field)?.kind;
    expect([kind('port'), kind('host'), kind('auth.enabled'), kind('allowedOrigins'), kind('ordering.scopes')])
      .toEqual(['number', 'string', 'boolean', 'list', 'map']);
  });

  it('docs/operations.md lists every variable', () => {
    const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
    expect(ENV_SETTINGS.map((s) => s.variable).filter((v) => !doc.includes(`\`${v}\``))).toEqual([]);
  });
});

describe('configFromEnv', () => {
  it('gives nothing for an environment without settings: other and client variables are not settings', () => {
    const env = Object.fromEntries([...NON_SETTING_VARIABLES, 'ORDO_BIN', 'ORDO_CONFIRMED_SETUPS', 'PATH', 'ordo_port'].map((v) => [v, 'x']));
    expect(configFromEnv(env).input).toEqual({});
    expect(parseConfigFrom([configFromEnv(env)])).toEqual(DEFAULT_CONFIG);
  });

  it('reads every setting back from the text of its default (numbers, booleans, lists, maps)', () => {
    const env: Record<string, string> = {};
    const valueAt = (field: string): unknown => field.split('.').reduce<unknown>((at, key) => (at as Record<string, unknown>)[key], DEFAULT_CONFIG);
    for (const { variable, field, kind } of ENV_SETTINGS) {
      const value = valueAt(field);
      env[variable] = kind === 'list' ? (value as string[]).join(',') : kind === 'map' ? JSON.stringify(value) : String(value);
    }
    expect(parseConfigFrom([configFromEnv(env)])).toEqual(DEFAULT_CONFIG);
  });

  it('reads numbers, booleans (true/false/1/0, any case), comma-separated lists and JSON maps', () => {
    const config = parseConfigFrom([configFromEnv({
      ORDO_PORT: ' 8080 ',
      ORDO_DATA_DIR: '/var/lib/ordo',
      ORDO_LIMITS_MAX_CONNECTIONS: '5',
      ORDO_AUTH_ENABLED: 'TRUE',
      ORDO_AUTH_ALLOW_ANONYMOUS: '1',
      ORDO_HTTP_CONSOLE: 'false',
      ORDO_HTTP_METRICS: '0',
      ORDO_ALLOWED_ORIGINS: 'https://a.example, https://b.example,',
      ORDO_ORDERING_SCOPES: '{"orders":"orders/#"}',
      ORDO_LOG_LEVEL: 'debug',
    })]);
    expect(config.port).toBe(8080);
    expect(config.dataDir).toBe('/var/lib/ordo');
    expect(config.limits.maxConnections).toBe(5);
    expect(config.limits.maxQueues).toBe(DEFAULT_CONFIG.limits.maxQueues);
    expect(config.auth).toMatchObject({ enabled: true, allowAnonymous: true });
    expect(config.http).toEqual({ console: false, metrics: false });
    expect(config.allowedOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.ordering.scopes).toEqual({ orders: 'orders/#' });
    expect(config.log.level).toBe('debug');
  });

  it.each([
    [{ ORDO_PORT: 'abc' }, /^environment variable ORDO_PORT must be a number, got "abc"$/],
    [{ ORDO_PORT: '' }, /^environment variable ORDO_PORT must be a number, got ""$/],
    [{ ORDO_LIMITS_MAX_FRAME_BYTES: '1MB' }, /^environment variable ORDO_LIMITS_MAX_FRAME_BYTES must be a number/],
    [{ ORDO_AUTH_ENABLED: 'yes' }, /^environment variable ORDO_AUTH_ENABLED must be true, false, 1 or 0, got "yes"$/],
    [{ ORDO_ORDERING_SCOPES: '{orders' }, /^environment variable ORDO_ORDERING_SCOPES must be a JSON object/],
    [{ ORDO_ORDERING_SCOPES: '["orders/#"]' }, /^environment variable ORDO_ORDERING_SCOPES must be a JSON object/],
  ])('a value of the wrong type names the variable: %j', (env, message) => {
    expect(envError(env)).toMatch(message);
  });

  it.each([
    [{ ORDO_PORT: '70000' }, /^config port must be an integer from 0 to 65535, got 70000 \(from ORDO_PORT\)$/],
    [{ ORDO_PORT: '1.5' }, /^config port .* \(from ORDO_PORT\)$/],
    [{ ORDO_DURABILITY: 'disk' }, /^config durability must be one of .* \(from ORDO_DURABILITY\)$/],
    [{ ORDO_ALLOWED_ORIGINS: 'https://a.example,nope' }, /^config allowedOrigins\[1\] .* \(from ORDO_ALLOWED_ORIGINS\)$/],
    [{ ORDO_ORDERING_SCOPES: '{"a":"x/#/y"}' }, /^config ordering\.scopes\.a is not a topic pattern.* \(from ORDO_ORDERING_SCOPES\)$/],
    [{ ORDO_ORDERING_SCOPES: '{"a":5}' }, /^config ordering\.scopes\.a must be a string.* \(from ORDO_ORDERING_SCOPES\)$/],
  ])('a value out of range names the setting and the variable: %j', (env, message) => {
    expect(envError(env)).toMatch(message);
  });

  it.each([
    ['ORDO_LIMITS_MAX_CONECTIONS', /is not a setting \(did you mean ORDO_LIMITS_MAX_CONNECTIONS\?\)$/],
    ['ORDO_AUTH_ENABLE', /is not a setting \(did you mean ORDO_AUTH_ENABLED\?\)$/],
    ['ORDO_LIMITS_MAX_FRAMES', /is not a setting; the ORDO_LIMITS_ settings are ORDO_LIMITS_MAX_FRAME_BYTES, .*ORDO_LIMITS_DISK_FREE_LIMIT_BYTES$/],
    ['ORDO_LOG', /is not a setting; the ORDO_LOG_ settings are ORDO_LOG_LEVEL, ORDO_LOG_FORMAT$/],
    ['ORDO_HTTP_CONSOLE_PORT', /is not a setting/],
  ])('%s, under a section but no setting, is a typo', (variable, message) => {
    const text = envError({ [variable]: '1' });
    expect(text).toMatch(new RegExp(`^environment variable ${variable} `));
    expect(text).toMatch(message);
  });
});
