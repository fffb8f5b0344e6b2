import { Command, Option } from 'commander';
import type { Order, Qos, SendOptions } from '../../client/index.js';
import { emitAll, firstError, messageSource, parseHeaders, withMessageInputOptions, type MessageInputFlags } from '../message-input.js';
import { MAX_PRIORITY, durationOption, integerIn, orderOption, qosOption, withClientOptions, type ClientFlags } from '../options.js';
import { connectFromFlags, runCommand } from '../run-command.js';

interface SendFlags extends ClientFlags, MessageInputFlags {
  qos?: Qos;
  order?: Order;
  priority?: number;
  delay?: number;
  ttl?: number;
}

/**
 * Sends in flight at once. At-least-once sends resolve on the broker's
 * commit; keeping many in flight lets one store commit carry many of them.
 */
const SEND_WINDOW = 256;

/** `ordo send`: sends MESSAGE (or each line of stdin) to QUEUE. */
export function sendCommand(): Command {
  return withMessageInputOptions(withClientOptions(new Command('send')), 'send')
    .description('send MESSAGE to QUEUE (one consumer gets it); without MESSAGE, send each line of standard input.'
      + ' At-least-once (the default) exits 0 only once the broker stored every message')
    .argument('<queue>', 'queue name')
    .argument('[message]', 'the message (a UTF-8 string unless --parse-json)')
    .addOption(qosOption().default('at-least-once'))
    .addOption(orderOption('emit'))
    .addOption(new Option('--priority <0-9>', 'priority: higher is delivered first (default 0)').argParser(integerIn(0, MAX_PRIORITY)))
    .addOption(durationOption('--delay <ms>', 'deliverable only after this many ms', { allowZero: true }))
    .addOption(durationOption('--ttl <ms>', 'dropped if not consumed within this many ms'))
    .addHelpText('after', '\nExamples:\n  $ ordo send jobs \'{"id":1}\' --parse-json --priority 5\n  $ seq 100 | ordo send jobs\n'
      + '  $ seq 3 | ordo send jobs --order total\n  $ ordo send reminders wake-up --delay 60000\n')
    .action((queue: string, message: string | undefined, flags: SendFlags) => runCommand(async () => {
      const options: SendOptions = {
        qos: flags.qos, order: flags.order, headers: parseHeaders(flags.header), priority: flags.priority, delayMs: flags.delay, ttlMs: flags.ttl,
      };
      const source = messageSource(message, flags);
      const client = await connectFromFlags(flags, { reconnect: false });
      try {
        const failure = firstError(client);
        const sent = await emitAll(source, (payload) => client.send(queue, payload, options), SEND_WINDOW);
        await client.flush(); // at-most-once sends are refused asynchronously: any refusal has arrived
        failure.check();
        if (flags.json) process.stdout.write(`${JSON.stringify({ queue, sent })}\n`);
      } finally {
        await client.close();
      }
    }));
}
