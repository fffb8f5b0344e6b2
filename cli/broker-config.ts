import { readFile } from 'node:fs/promises';
import { configFromEnv, type BrokerConfig, type ConfigSource } from '../broker/config/index.js';
import { setPath } from '../broker/config/env.js';
import { OrdoError } from '../broker/errors/index.js';

/**
 * Where `ordo broker` takes its settings from, in this order, each
 * overriding the one before it key by key [docs/operations.md, section 2]:
 * the defaults, the config file (--config FILE, else ORDO_CONFIG), the
 * ORDO_* environment variables, the flags.
 */

/** The flags of `ordo broker` that are settings (as commander parses them), and --config. */
export interface BrokerFlags {
  config?: string;
  host?: string;
  port?: number;
  data?: string;
  auth?: boolean;
  allowAnonymous?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  requireClientCert?: boolean;
  allowedOrigin?: string[];
  logLevel?: string;
  logFormat?: string;
  /** false with --no-console; undefined when the flag is not given. */
  console?: boolean;
  /** false with --no-metrics; undefined when the flag is not given. */
  metrics?: boolean;
}

/** Each setting flag: its key in BrokerFlags, how it is written, the setting it sets. */
export const SETTING_FLAGS: ReadonlyArray<readonly [keyof BrokerFlags, string, string]> = [
  ['host', '--host', 'host'],
  ['port', '--port', 'port'],
  ['data', '--data', 'dataDir'],
  ['auth', '--auth', 'auth.enabled'],
  ['allowAnonymous', '--allow-anonymous', 'auth.allowAnonymous'],
  ['tlsCert', '--tls-cert', 'tls.cert'],
  ['tlsKey', '--tls-key', 'tls.key'],
  ['tlsCa', '--tls-ca', 'tls.ca'],
  ['requireClientCert', '--require-client-cert', 'tls.requireClientCert'],
  ['allowedOrigin', '--allowed-origin', 'allowedOrigins'],
  ['logLevel', '--log-level', 'log.level'],
  ['logFormat', '--log-format', 'log.format'],
  ['console', '--no-console', 'http.console'],
  ['metrics', '--no-metrics', 'http.metrics'],
];

/**
 * The sources of the broker's settings, lowest precedence first, for
 * parseConfigFrom: the config file, the environment, the flags. Throws
 * ERR_BAD_CONFIG when the file cannot be read or is not JSON, or a variable
 * is bad (naming it).
 */
export async function brokerConfigSources(flags: BrokerFlags, env: Readonly<Record<string, string | undefined>>): Promise<ConfigSource[]> {
  const file = flags.config ?? (env.ORDO_CONFIG || undefined);
  return [
    ...(file === undefined ? [] : [await fileSource(file)]),
    configFromEnv(env),
    flagsSource(flags),
  ];
}

/** The effective configuration as `--print-config` shows it: JSON, the token secret hidden. */
export function printableConfig(config: Readonly<BrokerConfig>): string {
  const shown = { ...config, auth: { ...config.auth, tokenSecret: config.auth.tokenSecret === '' ? '' : '(redacted)' } };
  return `${JSON.stringify(shown, null, 2)}\n`;
}

function flagsSource(flags: BrokerFlags): ConfigSource {
  const input: Record<string, unknown> = {};
  const flagOf = new Map<string, string>();
  for (const [key, flag, field] of SETTING_FLAGS) {
    if (flags[key] === undefined) continue;
    setPath(input, field, flags[key]);
    flagOf.set(field, flag);
  }
  return { input, origin: (field) => (flagOf.has(field) ? `from ${flagOf.get(field)}` : undefined) };
}

async function fileSource(path: string): Promise<ConfigSource> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new OrdoError('ERR_BAD_CONFIG', `cannot read config file ${path}: ${(err as Error).message}`);
  }
  try {
    return { input: JSON.parse(text) as unknown, origin: () => `in ${path}` };
  } catch (err) {
    throw new OrdoError('ERR_BAD_CONFIG', `config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
}
