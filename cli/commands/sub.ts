import { Command, Option } from 'commander';
import { OrdoError, topicPatternError, type Message, type Order, type Qos } from '../../client/index.js';
import { MESSAGE_JSON_HELP, messageJson, payloadText } from '../format.js';
import { countOption, orderOption, qosOption, withClientOptions, type ClientFlags } from '../options.js';
import { connectFromFlags, describeError, runCommand, untilSignal } from '../run-command.js';
import { printExactlyOnce } from './consume-exactly-once.js';

interface SubFlags extends ClientFlags {
  qos?: Qos;
  order?: Order;
  count?: number;
  durable?: string;
  group?: string;
  dedup?: string;
}

/** A message as `ordo sub` prints it, or undefined (reported) when its payload does not decode. */
function line(msg: Message, flags: SubFlags): string | undefined {
  try {
    return flags.json ? `${messageJson(msg)}\n` : `${msg.topic} ${payloadText(msg.payload)}\n`;
  } catch (err) {
    process.stderr.write(`ordo: ${describeError(err)}\n`);
    return undefined;
  }
}

/** `ordo sub`: prints messages matching PATTERN, one per line. */
export function subCommand(): Command {
  return withClientOptions(new Command('sub'))
    .description('print messages matching PATTERN, one per line ("TOPIC PAYLOAD", or JSON with --json)')
    .argument('<pattern>', 'topic pattern: + matches one level, # any number of trailing levels')
    .addOption(qosOption())
    .addOption(orderOption('receive'))
    .addOption(countOption('exit after N messages'))
    .addOption(new Option('--durable <name>', 'durable subscription name'))
    .addOption(new Option('--group <name>', 'shared subscription group: each message goes to one member'))
    .addOption(new Option('--dedup <file>', 'exactly-once: SQLite file remembering the messages printed, so none is printed twice across runs (default: this run only)'))
    .addHelpText('after', `\n${MESSAGE_JSON_HELP}\n\nExamples:\n  $ ordo sub 'orders/+/created' --count 2\n  $ ordo sub 'logs/#' --json\n`
      + '  $ ordo sub \'orders/#\' --json --order total --qos 1 --durable audit\n'
      + '  $ ordo sub \'orders/#\' --qos exactly-once --durable billing --dedup ./billing-seen.db\n')
    .action((pattern: string, flags: SubFlags) => runCommand(async () => {
      const patternError = topicPatternError(pattern);
      if (patternError !== undefined) throw new OrdoError('ERR_BAD_PATTERN', patternError);
      const client = await connectFromFlags(flags, { reconnect: true });
      let remaining = flags.count ?? Infinity;
      let finish!: () => void;
      const done = new Promise<void>((resolve) => { finish = resolve; });
      const print = (msg: Message): void => {
        if (remaining <= 0) return;
        const text = line(msg, flags);
        if (text !== undefined) process.stdout.write(text);
        if (--remaining === 0) finish();
      };
      const closed = new Promise<never>((_, reject) => {
        client.on('close', ({ error }) => { if (error) reject(error); });
      });
      closed.catch(() => { /* raced below; handled here so an early close is not an unhandled rejection */ });
      if (flags.qos === 'exactly-once') {
        try {
          const source = { pattern, durable: flags.durable, group: flags.group };
          await Promise.race([printExactlyOnce(client, source, flags, (msg) => line(msg, flags)), untilSignal(), closed]);
        } finally {
          await client.close();
        }
        return;
      }
      try {
        await client.subscribe(pattern, print, { qos: flags.qos, order: flags.order, durable: flags.durable, group: flags.group });
        process.stderr.write(`subscribed to ${pattern}\n`);
        await Promise.race([done, untilSignal(), closed]);
      } finally {
        await client.close();
      }
    }));
}
