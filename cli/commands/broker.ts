import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { OrdoError } from '../../broker/errors/index.js';
import { parsePort } from '../options.js';
import { runCommand, untilSignal } from '../run-command.js';
import { collect } from '../security-input.js';

interface BrokerFlags {
  host?: string;
  port?: number;
  data?: string;
  config?: string;
  auth?: boolean;
  allowAnonymous?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  requireClientCert?: boolean;
  allowedOrigin?: string[];
}

type Config = Record<string, unknown>;

/** `ordo broker`: runs a broker in the foreground until SIGINT or SIGTERM. */
export function brokerCommand(): Command {
  return new Command('broker')
    .description('run a broker; prints "listening on ws://HOST:PORT" (wss:// with TLS) once it accepts connections')
    .addOption(new Option('--host <host>', 'address to listen on (default 127.0.0.1)'))
    .addOption(new Option('--port <port>', 'port to listen on; 0 picks a free one (default 7700)').argParser(parsePort))
    .addOption(new Option('--data <dir>', 'data directory (default ./ordo-data)'))
    .addOption(new Option('--config <file>', 'JSON config file; flags override it, key by key'))
    .addOption(new Option('--auth', 'clients must log in (password, token or client certificate) and are held to the ACL (auth.enabled)'))
    .addOption(new Option('--allow-anonymous', 'with --auth: clients without credentials connect as user anonymous; without it: allows a'
      + ' non-loopback --host (auth.allowAnonymous)'))
    .addOption(new Option('--tls-cert <file>', 'PEM certificate chain: serve wss:// (with --tls-key; tls.cert)'))
    .addOption(new Option('--tls-key <file>', 'PEM private key of --tls-cert (tls.key)'))
    .addOption(new Option('--tls-ca <file>', 'PEM CA bundle: clients may log in by a certificate it signed (tls.ca)'))
    .addOption(new Option('--require-client-cert', 'with --tls-ca: refuse clients without a valid certificate (tls.requireClientCert)'))
    .addOption(new Option('--allowed-origin <origin>', 'a browser origin allowed to connect, e.g. https://app.example.com, or * (repeatable;'
      + ' replaces allowedOrigins)').argParser(collect))
    .addHelpText('after', [
      '',
      'With --auth, the first start with no users makes user admin (role admin) with the password in',
      'ORDO_ADMIN_PASSWORD, and refuses to start without it. Then: ordo user add, ordo acl add, ordo token create.',
      '',
      'Examples:',
      '  $ ordo broker --port 7700 --data ./ordo-data',
      '  $ ORDO_ADMIN_PASSWORD=... ordo broker --auth --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem',
      '  $ ordo broker --config ordo.json --auth --allowed-origin https://app.example.com',
      '',
    ].join('\n'))
    .action((flags: BrokerFlags) => runCommand(async () => {
      const fromFile = flags.config === undefined ? {} : await readConfigFile(flags.config);
      // Loaded here, not at the top: the client commands start faster without the broker and its store.
      const { startBroker } = await import('../../broker/index.js');
      const broker = await startBroker(withFlags(fromFile, flags)).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
          throw new Error(`cannot listen: ${err.message}`);
        }
        throw err;
      });
      process.stdout.write(`listening on ${broker.url}\n`);
      const signal = await untilSignal();
      process.stderr.write(`${signal}: shutting down\n`);
      await broker.close();
    }));
}

/**
 * The config file's settings with the flags' on top. Nested settings merge
 * key by key: `--auth` sets auth.enabled and keeps the file's auth.tokenSecret.
 * A file value of the wrong type stays, for the broker to name the field.
 */
function withFlags(fromFile: Config, flags: BrokerFlags): Config {
  const config: Config = {
    ...fromFile,
    ...(flags.host !== undefined && { host: flags.host }),
    ...(flags.port !== undefined && { port: flags.port }),
    ...(flags.data !== undefined && { dataDir: flags.data }),
    ...(flags.allowedOrigin !== undefined && { allowedOrigins: flags.allowedOrigin }),
  };
  mergeInto(config, 'auth', { enabled: flags.auth, allowAnonymous: flags.allowAnonymous });
  mergeInto(config, 'tls', { cert: flags.tlsCert, key: flags.tlsKey, ca: flags.tlsCa, requireClientCert: flags.requireClientCert });
  return config;
}

function mergeInto(config: Config, key: string, fromFlags: Config): void {
  const given = Object.fromEntries(Object.entries(fromFlags).filter(([, v]) => v !== undefined));
  if (Object.keys(given).length === 0) return;
  const current = config[key];
  if (current === undefined) config[key] = given;
  else if (typeof current === 'object' && current !== null && !Array.isArray(current)) config[key] = { ...current, ...given };
}

async function readConfigFile(path: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new OrdoError('ERR_BAD_CONFIG', `cannot read config file ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as Config;
  } catch (err) {
    throw new OrdoError('ERR_BAD_CONFIG', `config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
}
