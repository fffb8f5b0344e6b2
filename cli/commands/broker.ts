import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { OrdoError } from '../../broker/errors/index.js';
import { parsePort } from '../options.js';
import { runCommand, untilSignal } from '../run-command.js';

interface BrokerFlags {
  host?: string;
  port?: number;
  data?: string;
  config?: string;
}

/** `ordo broker`: runs a broker in the foreground until SIGINT or SIGTERM. */
export function brokerCommand(): Command {
  return new Command('broker')
    .description('run a broker; prints "listening on ws://HOST:PORT" once it accepts connections')
    .addOption(new Option('--host <host>', 'address to listen on (default 127.0.0.1)'))
    .addOption(new Option('--port <port>', 'port to listen on; 0 picks a free one (default 7700)').argParser(parsePort))
    .addOption(new Option('--data <dir>', 'data directory (default ./ordo-data)'))
    .addOption(new Option('--config <file>', 'JSON config file; flags override it'))
    .addHelpText('after', '\nExample:\n  $ ordo broker --port 7700 --data ./ordo-data\n')
    .action((flags: BrokerFlags) => runCommand(async () => {
      const fromFile = flags.config === undefined ? undefined : await readConfigFile(flags.config);
      // Loaded here, not at the top: the client commands start faster without the broker and its store.
      const { startBroker } = await import('../../broker/index.js');
      const broker = await startBroker({
        ...fromFile,
        ...(flags.host !== undefined && { host: flags.host }),
        ...(flags.port !== undefined && { port: flags.port }),
        ...(flags.data !== undefined && { dataDir: flags.data }),
      }).catch((err: NodeJS.ErrnoException) => {
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

async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new OrdoError('ERR_BAD_CONFIG', `cannot read config file ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new OrdoError('ERR_BAD_CONFIG', `config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
}
