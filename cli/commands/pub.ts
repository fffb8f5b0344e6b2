import { Command } from 'commander';
import { OrdoError, topicNameError, type Order, type PublishOptions, type Qos } from '../../client/index.js';
import { emitAll, firstError, messageSource, parseHeaders, withMessageInputOptions, type MessageInputFlags } from '../message-input.js';
import { orderOption, qosOption, withClientOptions, type ClientFlags } from '../options.js';
import { connectFromFlags, runCommand } from '../run-command.js';

interface PubFlags extends ClientFlags, MessageInputFlags {
  qos?: Qos;
  order?: Order;
  retain?: boolean;
}

/** `ordo pub`: publishes MESSAGE (or each line of stdin) to TOPIC. */
export function pubCommand(): Command {
  return withMessageInputOptions(withClientOptions(new Command('pub')), 'publish')
    .description('publish MESSAGE to TOPIC; without MESSAGE, publish each line of standard input')
    .argument('<topic>', 'topic name, e.g. orders/eu/created')
    .argument('[message]', 'the message (a UTF-8 string unless --parse-json)')
    .addOption(qosOption())
    .addOption(orderOption('emit'))
    .option('--retain', 'keep as the topic\'s retained message')
    .addHelpText('after', '\nExamples:\n  $ ordo pub orders/eu/created \'{"id":1}\' --parse-json\n  $ seq 3 | ordo pub numbers\n'
      + '  $ seq 3 | ordo pub orders/eu/updated --order total --qos 1\n')
    .action((topic: string, message: string | undefined, flags: PubFlags) => runCommand(async () => {
      const topicError = topicNameError(topic);
      if (topicError !== undefined) throw new OrdoError('ERR_BAD_TOPIC', topicError);
      const options: PublishOptions = {
        qos: flags.qos, order: flags.order, retain: flags.retain, headers: parseHeaders(flags.header),
      };
      const source = messageSource(message, flags);
      const client = await connectFromFlags(flags, { reconnect: false });
      try {
        const failure = firstError(client);
        // One at a time: an at-most-once publish resolves once queued, so awaiting it is the backpressure.
        const published = await emitAll(source, (payload) => client.publish(topic, payload, options));
        await client.flush(); // the broker has seen every publish: any refusal has arrived
        failure.check();
        if (flags.json) process.stdout.write(`${JSON.stringify({ topic, published })}\n`);
      } finally {
        await client.close();
      }
    }));
}
