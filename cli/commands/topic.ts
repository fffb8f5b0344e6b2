import { Command, Option } from 'commander';
import { OrdoError, topicNameError } from '../../client/index.js';
import { topicTable } from '../admin-format.js';
import { jsonLine, listText } from '../format.js';
import { withClientOptions, type ClientFlags } from '../options.js';
import { runCommand, withClient } from '../run-command.js';

interface TopicLsFlags extends ClientFlags {
  prefix?: string;
}

/** `ordo topic ls|clear-retained`: topics with stored history or a retained message. */
export function topicCommand(): Command {
  return new Command('topic')
    .description('list topics (subscribers, retained message, stored history) and clear retained messages')
    .addHelpText('after', '\nExamples:\n  $ ordo topic ls\n  $ ordo topic ls --prefix orders/ --json\n  $ ordo topic clear-retained sensors/kitchen/temp\n')
    .addCommand(lsCommand())
    .addCommand(clearRetainedCommand());
}

function lsCommand(): Command {
  return withClientOptions(new Command('ls'))
    .description('list every topic with stored history or a retained message, by name: subscriptions matching it (live ones,'
      + ' and durable ones whose subscriber is away), whether it has a retained message, messages stored for replay,'
      + ' sequence number of the newest')
    .addOption(new Option('--prefix <text>', 'only topics whose name starts with this text'))
    .addHelpText('after', '\nExamples:\n  $ ordo topic ls\n  $ ordo topic ls --prefix sensors/ --json\n')
    .action((flags: TopicLsFlags) => runCommand(async () => {
      const topics = await withClient(flags, (client) => client.admin.topics({ prefix: flags.prefix }));
      process.stdout.write(listText(topics, flags.json, topicTable));
    }));
}

function clearRetainedCommand(): Command {
  return withClientOptions(new Command('clear-retained'))
    .description('remove the retained message of TOPIC (new subscribers stop getting it); says whether there was one')
    .argument('<topic>', 'a topic name (no wildcards)')
    .addHelpText('after', '\nExample:\n  $ ordo topic clear-retained sensors/kitchen/temp\n')
    .action((topic: string, flags: ClientFlags) => runCommand(async () => {
      // A wildcard or a malformed name holds no retained message: say so rather than "none there".
      const topicError = topicNameError(topic);
      if (topicError !== undefined) throw new OrdoError('ERR_BAD_TOPIC', topicError);
      const { cleared } = await withClient(flags, (client) => client.admin.clearRetained(topic));
      process.stdout.write(flags.json
        ? `${jsonLine({ topic, cleared })}\n`
        : `${cleared ? 'cleared the retained message of' : 'no retained message on'} ${topic}\n`);
    }));
}
