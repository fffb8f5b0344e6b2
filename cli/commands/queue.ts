import { Command, Option } from 'commander';
import type { QueueSettingsInput } from '../../client/index.js';
import { jsonLine, listText } from '../format.js';
import { durationOption, parsePositiveInt, withClientOptions, type ClientFlags } from '../options.js';
import { peekTable, peekedJson, queueDetails, queueTable } from '../queue-format.js';
import { runCommand, withClient } from '../run-command.js';

interface CreateFlags extends ClientFlags {
  maxLength?: number;
  overflow?: 'drop-oldest' | 'reject-publish';
  ttl?: number;
  maxDeliveries?: number;
  deadLetter?: string;
  ackDeadline?: number;
}

interface PeekFlags extends ClientFlags {
  count: number;
}

/** The value of --dead-letter that means "delete dead letters". */
const NO_DEAD_LETTER_QUEUE = 'none';

/** `ordo queue ls|create|rm|purge|peek`: queue administration. */
export function queueCommand(): Command {
  return new Command('queue')
    .description('list, create, delete, purge and peek at queues')
    .addHelpText('after', '\nExamples:\n  $ ordo queue create jobs --max-length 10000 --ack-deadline 60000\n  $ ordo queue ls\n  $ ordo queue peek jobs --count 3\n')
    .addCommand(lsCommand())
    .addCommand(createCommand())
    .addCommand(rmCommand())
    .addCommand(purgeCommand())
    .addCommand(peekCommand());
}

function lsCommand(): Command {
  return withClientOptions(new Command('ls'))
    .description('list queues: messages ready, delayed, unacked and in all, consumers, rates in and out (msg/s)')
    .addHelpText('after', '\nExamples:\n  $ ordo queue ls\n  $ ordo queue ls --json\n')
    .action((flags: ClientFlags) => runCommand(async () => {
      const queues = await withClient(flags, (client) => client.listQueues());
      process.stdout.write(listText(queues, flags.json, queueTable));
    }));
}

function createCommand(): Command {
  return withClientOptions(new Command('create'))
    .description('create queue NAME (and its dead-letter queue NAME.dlq unless --dead-letter says otherwise); prints the queue')
    .argument('<name>', 'queue name')
    .addOption(new Option('--max-length <n>', 'most messages waiting; default 1,000,000').argParser(parsePositiveInt))
    .addOption(new Option('--overflow <policy>', 'when full: refuse new messages or drop the oldest; default reject-publish')
      .choices(['drop-oldest', 'reject-publish']))
    .addOption(durationOption('--ttl <ms>', 'messages expire this long after they entered; default none'))
    .addOption(new Option('--max-deliveries <n>', 'deliveries before a message is dead-lettered; default 10').argParser(parsePositiveInt))
    .addOption(new Option('--dead-letter <queue>', `where dead letters go, or "${NO_DEAD_LETTER_QUEUE}" to delete them; default NAME.dlq`))
    .addOption(durationOption('--ack-deadline <ms>', 'time a consumer has to ack before redelivery; default 30000'))
    .addHelpText('after', '\nExamples:\n  $ ordo queue create jobs\n  $ ordo queue create events --max-length 1000 --overflow drop-oldest --dead-letter none\n')
    .action((name: string, flags: CreateFlags) => runCommand(async () => {
      const settings: QueueSettingsInput = {
        maxLength: flags.maxLength,
        overflow: flags.overflow,
        messageTtlMs: flags.ttl,
        maxDeliveries: flags.maxDeliveries,
        deadLetterQueue: flags.deadLetter === NO_DEAD_LETTER_QUEUE ? null : flags.deadLetter,
        ackDeadlineMs: flags.ackDeadline,
      };
      const info = await withClient(flags, (client) => client.createQueue(name, withoutUndefined(settings)));
      process.stdout.write(flags.json ? `${jsonLine(info)}\n` : `${queueDetails(info)}\n`);
    }));
}

function rmCommand(): Command {
  return withClientOptions(new Command('rm'))
    .description('delete queue NAME with its messages; prints how many messages went')
    .argument('<name>', 'queue name')
    .addHelpText('after', '\nExample:\n  $ ordo queue rm jobs\n')
    .action((name: string, flags: ClientFlags) => runCommand(async () => {
      const { deleted } = await withClient(flags, (client) => client.deleteQueue(name));
      process.stdout.write(flags.json ? `${jsonLine({ queue: name, deleted })}\n` : `deleted queue ${name} and ${plural(deleted, 'message')}\n`);
    }));
}

function purgeCommand(): Command {
  return withClientOptions(new Command('purge'))
    .description('remove the waiting messages of queue NAME (unacked deliveries stay); prints how many')
    .argument('<name>', 'queue name')
    .addHelpText('after', '\nExample:\n  $ ordo queue purge jobs\n')
    .action((name: string, flags: ClientFlags) => runCommand(async () => {
      const { purged } = await withClient(flags, (client) => client.purgeQueue(name));
      process.stdout.write(flags.json ? `${jsonLine({ queue: name, purged })}\n` : `purged ${plural(purged, 'message')} from ${name}\n`);
    }));
}

function peekCommand(): Command {
  return withClientOptions(new Command('peek'))
    .description('show the next waiting messages of queue NAME, in delivery order, without consuming them')
    .argument('<name>', 'queue name')
    .addOption(new Option('--count <n>', 'how many messages').argParser(parsePositiveInt).default(10))
    .addHelpText('after', '\nExamples:\n  $ ordo queue peek jobs\n  $ ordo queue peek jobs --count 1 --json\n')
    .action((name: string, flags: PeekFlags) => runCommand(async () => {
      const messages = await withClient(flags, (client) => client.peekQueue(name, flags.count));
      process.stdout.write(flags.json ? messages.map((m) => `${peekedJson(m)}\n`).join('') : `${peekTable(messages)}\n`);
    }));
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Settings not given are left out, so the broker stores only what was chosen. */
function withoutUndefined<T extends object>(settings: T): T {
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as T;
}
