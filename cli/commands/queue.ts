import { Command, Option } from 'commander';
import { OrdoError, type QueueSettingsInput } from '../../client/index.js';
import { inChunks } from '../chunked.js';
import { jsonLine, listText, plural } from '../format.js';
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

interface ChunkedFlags extends ClientFlags {
  max?: number;
}

/** The value of --dead-letter that means "delete dead letters". */
const NO_DEAD_LETTER_QUEUE = 'none';

/** `ordo queue ls|info|create|rm|purge|peek|move|redrive`: queue administration. */
export function queueCommand(): Command {
  return new Command('queue')
    .description('list, inspect, create, delete, purge and peek at queues; move messages and replay dead letters')
    .addHelpText('after', '\nExamples:\n  $ ordo queue create jobs --max-length 10000 --ack-deadline 60000\n  $ ordo queue ls\n'
      + '  $ ordo queue peek jobs --count 3\n  $ ordo queue redrive jobs.dlq\n')
    .addCommand(lsCommand())
    .addCommand(infoCommand())
    .addCommand(createCommand())
    .addCommand(rmCommand())
    .addCommand(purgeCommand())
    .addCommand(peekCommand())
    .addCommand(moveCommand())
    .addCommand(redriveCommand());
}

function lsCommand(): Command {
  return withClientOptions(new Command('ls'))
    .description('list queues: messages ready, delayed, unacked and in all, consumers, rates in and out (msg/s),'
      + ' age of the oldest waiting message, messages in the dead-letter queue')
    .addHelpText('after', '\nExamples:\n  $ ordo queue ls\n  $ ordo queue ls --json\n')
    .action((flags: ClientFlags) => runCommand(async () => {
      const queues = await withClient(flags, (client) => client.listQueues());
      process.stdout.write(listText(queues, flags.json, queueTable));
    }));
}

function infoCommand(): Command {
  return withClientOptions(new Command('info'))
    .description('show queue NAME: its counts, rates, oldest waiting message, dead letters and settings')
    .argument('<name>', 'queue name')
    .addHelpText('after', '\nExamples:\n  $ ordo queue info jobs\n  $ ordo queue info jobs --json\n')
    .action((name: string, flags: ClientFlags) => runCommand(async () => {
      const info = await withClient(flags, (client) => client.queueInfo(name));
      process.stdout.write(flags.json ? `${jsonLine(info)}\n` : `${queueDetails(info)}\n`);
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
    .description('remove the waiting messages of queue NAME (unacked deliveries stay), 10,000 per request with a progress bar;'
      + ' prints how many went and how many wait still')
    .argument('<name>', 'queue name')
    .addOption(maxOption('remove at most this many (the first in delivery order); default all'))
    .addHelpText('after', '\nExamples:\n  $ ordo queue purge jobs\n  $ ordo queue purge jobs --max 500 --json\n')
    .action((name: string, flags: ChunkedFlags) => runCommand(async () => {
      const { done: purged, remaining } = await withClient(flags, (client) => inChunks(async (max) => {
        const r = await client.purgeQueue(name, { max });
        return { done: r.purged, remaining: r.remaining };
      }, { label: `purging ${name}`, limit: flags.max }));
      process.stdout.write(flags.json
        ? `${jsonLine({ queue: name, purged, remaining })}\n`
        : `purged ${plural(purged, 'message')} from ${name}${stillWaiting(remaining)}\n`);
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

function moveCommand(): Command {
  return withClientOptions(new Command('move'))
    .description('move the ready messages of queue FROM to queue TO, in delivery order, 10,000 per request with a progress bar')
    .argument('<from>', 'queue the messages leave')
    .argument('<to>', 'queue they join (it must exist)')
    .addOption(maxOption('move at most this many (the first in delivery order); default all'))
    .addHelpText('after', '\nExamples:\n  $ ordo queue move jobs jobs-slow\n  $ ordo queue move jobs.dlq jobs-retry --max 100\n')
    .action((from: string, to: string, flags: ChunkedFlags) => runCommand(async () => {
      const { done: moved, remaining } = await withClient(flags, (client) => inChunks(async (max) => {
        const r = await client.moveMessages(from, { to, max });
        return { done: r.moved, remaining: r.remaining };
      }, { label: `moving ${from} to ${to}`, limit: flags.max }));
      process.stdout.write(flags.json
        ? `${jsonLine({ from, to, moved, remaining })}\n`
        : `moved ${plural(moved, 'message')} from ${from} to ${to}${leftIn(remaining, from)}\n`);
    }));
}

function redriveCommand(): Command {
  return withClientOptions(new Command('redrive'))
    .description('replay dead letters: move the messages of dead-letter queue DLQ back to the queue it collects for, in order,'
      + ' 10,000 per request with a progress bar')
    .argument('<dlq>', 'a dead-letter queue (queue info shows which queue it is the dead-letter queue of)')
    .addOption(maxOption('move at most this many (the oldest dead letters first); default all'))
    .addHelpText('after', '\nExamples:\n  $ ordo queue redrive jobs.dlq\n  $ ordo queue redrive jobs.dlq --max 10 --json\n')
    .action((dlq: string, flags: ChunkedFlags) => runCommand(async () => {
      const { to, moved, remaining } = await withClient(flags, async (client) => {
        const { deadLetterFor } = await client.queueInfo(dlq);
        if (deadLetterFor === undefined) {
          throw new OrdoError('ERR_BAD_REQUEST', `${dlq} is no queue's dead-letter queue: ordo queue move ${dlq} QUEUE moves its messages`);
        }
        const result = await inChunks(async (max) => {
          const r = await client.moveMessages(dlq, { max });
          return { done: r.moved, remaining: r.remaining };
        }, { label: `replaying ${dlq}`, limit: flags.max });
        return { to: deadLetterFor, moved: result.done, remaining: result.remaining };
      });
      process.stdout.write(flags.json
        ? `${jsonLine({ queue: dlq, to, moved, remaining })}\n`
        : `moved ${plural(moved, 'dead letter')} from ${dlq} back to ${to}${leftIn(remaining, dlq)}\n`);
    }));
}

/** --max N of the chunked commands. */
function maxOption(description: string): Option {
  return new Option('--max <n>', description).argParser(parsePositiveInt);
}

/** `, 3 messages still waiting` when some are left. */
function stillWaiting(remaining: number): string {
  return remaining === 0 ? '' : `, ${plural(remaining, 'message')} still waiting`;
}

/** `, 3 left in jobs.dlq` when some are left. */
function leftIn(remaining: number, queue: string): string {
  return remaining === 0 ? '' : `, ${remaining.toLocaleString('en-US')} left in ${queue}`;
}

/** Settings not given are left out, so the broker stores only what was chosen. */
function withoutUndefined<T extends object>(settings: T): T {
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as T;
}
