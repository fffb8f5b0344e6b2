import { Command, Option } from 'commander';
import { LOG_FORMATS, LOG_LEVELS, parseConfigFrom } from '../../broker/config/index.js';
import { checkExposure } from '../../broker/transport/exposure.js';
import { brokerConfigSources, printableConfig, type BrokerFlags } from '../broker-config.js';
import { checkDataDir, describeStartError } from '../broker-start.js';
import { parsePort } from '../options.js';
import { runCommand, untilSignal } from '../run-command.js';
import { collect } from '../security-input.js';

/** `ordo broker`: runs a broker in the foreground until SIGINT or SIGTERM. */
export function brokerCommand(): Command {
  return new Command('broker')
    .description('run a broker; prints "listening on ws://HOST:PORT" (wss:// with TLS) once it accepts connections, then'
      + ' "console at http://HOST:PORT/" where the web console is')
    .addOption(new Option('--host <host>', 'address to listen on (default 127.0.0.1)'))
    .addOption(new Option('--port <port>', 'port to listen on; 0 picks a free one (default 7700)').argParser(parsePort))
    .addOption(new Option('--data <dir>', 'data directory (default ./ordo-data; dataDir)'))
    .addOption(new Option('--config <file>', 'JSON config file (default: the file ORDO_CONFIG names); the environment and flags override it, key by key'))
    .addOption(new Option('--print-config', 'print the effective configuration as JSON (auth.tokenSecret hidden) and exit, without starting'))
    .addOption(new Option('--auth', 'clients must log in (password, token or client certificate) and are held to the ACL (auth.enabled)'))
    .addOption(new Option('--allow-anonymous', 'with --auth: clients without credentials connect as user anonymous; without it: allows a'
      + ' non-loopback --host (auth.allowAnonymous)'))
    .addOption(new Option('--tls-cert <file>', 'PEM certificate chain: serve wss:// (with --tls-key; tls.cert)'))
    .addOption(new Option('--tls-key <file>', 'PEM private key of --tls-cert (tls.key)'))
    .addOption(new Option('--tls-ca <file>', 'PEM CA bundle: clients may log in by a certificate it signed (tls.ca)'))
    .addOption(new Option('--require-client-cert', 'with --tls-ca: refuse clients without a valid certificate (tls.requireClientCert)'))
    .addOption(new Option('--allowed-origin <origin>', 'a browser origin allowed to connect, e.g. https://app.example.com, or * (repeatable;'
      + ' replaces allowedOrigins)').argParser(collect))
    .addOption(new Option('--log-level <level>', 'least severe log level written (log.level; default info)').choices(LOG_LEVELS))
    .addOption(new Option('--log-format <format>', 'log lines as json, pretty, or auto: pretty on a terminal (log.format; default auto)').choices(LOG_FORMATS))
    .addOption(new Option('--no-console', 'do not serve the web console at / (http.console)'))
    .addOption(new Option('--no-metrics', 'do not serve Prometheus metrics at /metrics (http.metrics)'))
    .addHelpText('after', [
      '',
      'Settings, each overriding the one before it key by key: the defaults, the config file (--config,',
      'or ORDO_CONFIG), the environment, the flags. Every setting has a variable: ORDO_ and its path in',
      'upper snake case (port: ORDO_PORT, limits.maxFrameBytes: ORDO_LIMITS_MAX_FRAME_BYTES,',
      'auth.enabled: ORDO_AUTH_ENABLED); booleans are true/false/1/0, lists comma-separated, maps JSON.',
      'An ORDO_<SECTION>_ variable that names no setting is an error. See docs/operations.md, section 2.',
      '',
      'With --auth, the first start with no users makes user admin (role admin) with the password in',
      'ORDO_ADMIN_PASSWORD, and refuses to start without it. Then: ordo user add, ordo acl add, ordo token create.',
      '',
      'Examples:',
      '  $ ordo broker --port 7700 --data ./ordo-data',
      '  $ ORDO_ADMIN_PASSWORD=... ordo broker --auth --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem',
      '  $ ordo broker --config ordo.json --auth --allowed-origin https://app.example.com',
      '  $ ORDO_LIMITS_MAX_CONNECTIONS=500 ORDO_LOG_LEVEL=debug ordo broker --no-console',
      '  $ ORDO_CONFIG=ordo.json ordo broker --port 7800 --print-config',
      '',
    ].join('\n'))
    .action((flags: BrokerFlags & { printConfig?: boolean }, cmd: Command) => runCommand(async () => {
      // --no-console and --no-metrics read true when not given: only a flag on the command line is a setting.
      if (cmd.getOptionValueSource('console') !== 'cli') delete flags.console;
      if (cmd.getOptionValueSource('metrics') !== 'cli') delete flags.metrics;
      const config = parseConfigFrom(await brokerConfigSources(flags, process.env));
      if (flags.printConfig === true) {
        process.stdout.write(printableConfig(config));
        return;
      }
      // An open broker on a public address is refused before anything is made on disk.
      checkExposure(config);
      await checkDataDir(config);
      // Loaded here, not at the top: the client commands start faster without the broker and its store.
      const { startBroker } = await import('../../broker/index.js');
      const broker = await startBroker(config).catch((err: unknown) => {
        throw describeStartError(err, config.host, config.port);
      });
      process.stdout.write(`listening on ${broker.url}\n`);
      // Where a person opens the console (same port, http:// or https://); nothing when --no-console.
      if (broker.config.http.console) process.stdout.write(`console at ${broker.url.replace(/^ws/, 'http')}/\n`);
      const signal = await untilSignal();
      process.stderr.write(`${signal}: shutting down\n`);
      await broker.close();
    }));
}
