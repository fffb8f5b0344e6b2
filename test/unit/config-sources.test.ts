import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, ENV_SETTINGS, parseConfig, parseConfigFrom, type ConfigSource } from '../../broker/config/index.js';
import { brokerConfigSources, printableConfig, SETTING_FLAGS, type BrokerFlags } from '../../cli/broker-config.js';
import { brokerCommand } from '../../cli/commands/broker.js';

/**
 * `ordo broker`'s settings: defaults < config file (--config, else
 * ORDO_CONFIG) < ORDO_* environment < flags, and errors that say where the
 * bad value came from.
 */

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'ordo-config-sources-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

async function file(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function effective(flags: BrokerFlags, env: Record<string, string> = {}): ReturnType<typeof parseConfig> {
  return parseConfigFrom(await brokerConfigSources(flags, env));
}

async function failure(flags: BrokerFlags, env: Record<string, string> = {}): Promise<string> {
  return effective(flags, env).then(
    (config) => { throw new Error(`accepted: ${JSON.stringify(config)}`); },
    (err: Error & { code?: string }) => {
      expect(err.code).toBe('ERR_BAD_CONFIG');
      return err.message;
    },
  );
}

describe('precedence: defaults < file < environment < flags', () => {
  it('each layer overrides the one below it key by key, and leaves the rest', async () => {
    const path = await file('layers.json', {
      port: 1001, host: '127.0.0.2', dataDir: '/from/file', limits: { maxConnections: 5, maxQueues: 6 }, auth: { allowAnonymous: true },
    });
    const config = await effective(
      { config: path, port: 1003, auth: true, console: false },
      { ORDO_PORT: '1002', ORDO_DATA_DIR: '/from/env', ORDO_LIMITS_MAX_QUEUES: '7', ORDO_HTTP_CONSOLE: 'true', ORDO_LOG_LEVEL: 'warn' },
    );
    expect(config.port).toBe(1003); // flag over env over file
    expect(config.dataDir).toBe('/from/env'); // env over file
    expect(config.host).toBe('127.0.0.2'); // file over default
    expect(config.limits).toMatchObject({ maxConnections: 5, maxQueues: 7, maxFrameBytes: DEFAULT_CONFIG.limits.maxFrameBytes });
    expect(config.auth).toMatchObject({ enabled: true, allowAnonymous: true }); // --auth keeps the file's other auth keys
    expect(config.http).toEqual({ console: false, metrics: true }); // --no-console over ORDO_HTTP_CONSOLE
    expect(config.log).toEqual({ level: 'warn', format: 'auto' });
  });

  it('reads the file that ORDO_CONFIG names, unless --config names another', async () => {
    const a = await file('a.json', { port: 2001 });
    const b = await file('b.json', { port: 2002 });
    expect((await effective({}, { ORDO_CONFIG: a })).port).toBe(2001);
    expect((await effective({ config: b }, { ORDO_CONFIG: a })).port).toBe(2002);
    expect((await effective({}, { ORDO_CONFIG: '' })).port).toBe(DEFAULT_CONFIG.port);
  });

  it('maps every setting flag to its setting', async () => {
    const config = await effective({
      host: '::1', port: 0, data: 'd', auth: true, allowAnonymous: true, tlsCert: 'c.pem', tlsKey: 'k.pem', tlsCa: 'ca.pem',
      requireClientCert: true, allowedOrigin: ['https://a.example'], logLevel: 'error', logFormat: 'json', console: false, metrics: false,
    });
    expect(config).toMatchObject({
      host: '::1', port: 0, dataDir: 'd', auth: { enabled: true, allowAnonymous: true },
      tls: { cert: 'c.pem', key: 'k.pem', ca: 'ca.pem', requireClientCert: true }, allowedOrigins: ['https://a.example'],
      log: { level: 'error', format: 'json' }, http: { console: false, metrics: false },
    });
  });

  it('every setting flag is an option of ordo broker and names a real setting', () => {
    const longs = brokerCommand().options.map((o) => o.long);
    const fields = ENV_SETTINGS.map((s) => s.field);
    for (const [, flag, field] of SETTING_FLAGS) {
      expect(longs, flag).toContain(flag);
      expect(fields, field).toContain(field);
    }
  });
});

describe('errors name the field and where its value came from', () => {
  it.each([
    [{ prot: 80 }, /^config prot is not a known setting \(in .*e1\.json\)$/],
    [{ port: '7700' }, /^config port must be a number, got "7700" \(in .*e1\.json\)$/],
    [{ port: 70000 }, /^config port must be an integer from 0 to 65535, got 70000 \(in .*e1\.json\)$/],
    [[1], /^config must be an object \(in .*e1\.json\)$/],
  ])('file %j', async (content, message) => {
    expect(await failure({ config: await file('e1.json', content) })).toMatch(message);
  });

  it('a file that is not JSON, or cannot be read', async () => {
    expect(await failure({ config: await file('broken.json', '{ port: 1') })).toMatch(/^config file .*broken\.json is not valid JSON: /);
    expect(await failure({ config: join(dir, 'missing.json') })).toMatch(/^cannot read config file .*missing\.json: ENOENT/);
  });

  it('a flag', async () => {
    expect(await failure({ host: '' })).toBe('config host must not be empty (from --host)');
    expect(await failure({ allowedOrigin: ['https://a.example', 'x'] })).toMatch(/^config allowedOrigins\[1\] .* \(from --allowed-origin\)$/);
    expect(await failure({ requireClientCert: true })).toBe('config tls.requireClientCert needs tls.ca (the CA client certificates must chain to) (from --require-client-cert)');
  });

  it('the last source that set the value is named; a value fixed by a later source is no error', async () => {
    const path = await file('e2.json', { port: 70000, limits: { maxFrameBytes: 10 } });
    expect(await failure({ config: path }, { ORDO_PORT: '7000' })).toMatch(/^config limits\.maxFrameBytes .* \(in .*e2\.json\)$/);
    expect((await effective({ config: path, port: 1 }, { ORDO_LIMITS_MAX_FRAME_BYTES: '4096' })).port).toBe(1);
    expect(await failure({ config: path, port: 1 }, { ORDO_LIMITS_MAX_FRAME_BYTES: '99' })).toMatch(/\(from ORDO_LIMITS_MAX_FRAME_BYTES\)$/);
  });

  it('names no source for a default, or for an input that gives none', () => {
    const sources: ConfigSource[] = [{ input: { port: 70000 }, origin: () => 'from X' }, { input: { port: 70001 } }];
    expect(() => parseConfigFrom(sources)).toThrow(/^config port must be an integer from 0 to 65535, got 70001$/);
    // maxOutboundBytes keeps its default of 8 MiB, below one frame of the given size: the default is named, not a source.
    expect(() => parseConfigFrom([{ input: { limits: { maxFrameBytes: 16 * 1024 * 1024 } }, origin: () => 'from Y' }]))
      .toThrow(/^config limits\.maxOutboundBytes must be an integer from 16777216 to \d+, got 8388608$/);
  });
});

describe('printableConfig', () => {
  it('prints the effective configuration as JSON, the token secret hidden', () => {
    const secret = 's'.repeat(40);
    const config = parseConfig({ port: 0, auth: { tokenSecret: secret } });
    const printed = printableConfig(config);
    expect(printed).not.toContain(secret);
    expect(JSON.parse(printed)).toEqual({ ...config, auth: { ...config.auth, tokenSecret: '(redacted)' } });
    expect(JSON.parse(printableConfig(parseConfig()))).toEqual(DEFAULT_CONFIG);
  });
});
