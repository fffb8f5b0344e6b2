import { createInterface } from 'node:readline';
import { Command, Option } from 'commander';
import {
  OrdoError, topicNameError, type Headers, type Order, type OrdoClient, type PublishOptions, type Qos,
} from '../../client/index.js';
import { countOption, orderOption, qosOption, withClientOptions, type ClientFlags } from '../options.js';
import { connectFromFlags, runCommand } from '../run-command.js';

interface PubFlags extends ClientFlags {
  qos?: Qos;
  order?: Order;
  count?: number;
  retain?: boolean;
  header: string[];
  parseJson?: boolean;
}

/** `ordo pub`: publishes MESSAGE (or each line of stdin) to TOPIC. */
export function pubCommand(): Command {
  return withClientOptions(new Command('pub'))
    .description('publish MESSAGE to TOPIC; without MESSAGE, publish each line of standard input')
    .argument('<topic>', 'topic name, e.g. orders/eu/created')
    .argument('[message]', 'the message (a UTF-8 string unless --parse-json)')
    .addOption(qosOption())
    .addOption(orderOption())
    .addOption(countOption('publish the message N times (default 1)'))
    .option('--retain', 'keep as the topic\'s retained message')
    .addOption(new Option('--header <key=value>', 'add a header (repeatable)').argParser(collect).default([]))
    .option('--parse-json', 'parse the message as JSON and publish the value')
    .addHelpText('after', '\nExamples:\n  $ ordo pub orders/eu/created \'{"id":1}\' --parse-json\n  $ seq 3 | ordo pub numbers\n')
    .action((topic: string, message: string | undefined, flags: PubFlags) => runCommand(async () => {
      const topicError = topicNameError(topic);
      if (topicError !== undefined) throw new OrdoError('ERR_BAD_TOPIC', topicError);
      const options: PublishOptions = {
        qos: flags.qos, order: flags.order, retain: flags.retain, headers: parseHeaders(flags.header),
      };
      const client = await connectFromFlags(flags, { reconnect: false });
      try {
        const failure = firstError(client);
        const published = message === undefined
          ? await publishLines(client, topic, flags, options)
          : await publishRepeated(client, topic, toPayload(message, flags), flags.count ?? 1, options);
        await client.flush(); // the broker has seen every publish: any refusal has arrived
        failure.check();
        if (flags.json) process.stdout.write(`${JSON.stringify({ topic, published })}\n`);
      } finally {
        await client.close();
      }
    }));
}

async function publishRepeated(client: OrdoClient, topic: string, payload: unknown, count: number, options: PublishOptions): Promise<number> {
  for (let i = 0; i < count; i++) await client.publish(topic, payload, options);
  return count;
}

async function publishLines(client: OrdoClient, topic: string, flags: PubFlags, options: PublishOptions): Promise<number> {
  let published = 0;
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    for (let i = 0; i < (flags.count ?? 1); i++) await client.publish(topic, toPayload(line, flags), options);
    published += flags.count ?? 1;
  }
  return published;
}

/** At-most-once publishes are refused asynchronously (as an 'error' event): keep the first. */
function firstError(client: OrdoClient): { check(): void } {
  let error: unknown;
  client.on('error', (err) => { error ??= err; });
  return { check: () => { if (error !== undefined) throw error; } };
}

function toPayload(message: string, flags: PubFlags): unknown {
  if (!flags.parseJson) return message;
  try {
    return JSON.parse(message);
  } catch (err) {
    throw new OrdoError('ERR_BAD_REQUEST', `--parse-json: ${(err as Error).message}`);
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseHeaders(pairs: string[]): Headers | undefined {
  if (pairs.length === 0) return undefined;
  const headers: Headers = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new OrdoError('ERR_BAD_REQUEST', `--header expects key=value, got '${pair}'`);
    headers[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return headers;
}
