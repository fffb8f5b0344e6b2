import { Command } from 'commander';
import { subscriptionTable } from '../admin-format.js';
import { jsonLine, listText, plural } from '../format.js';
import { withClientOptions, type ClientFlags } from '../options.js';
import { runCommand, withClient } from '../run-command.js';

/** `ordo subscription ls|rm` (alias `subs`): live subscriptions, and durable and shared ones kept while their subscriber is away. */
export function subscriptionCommand(): Command {
  return new Command('subscription')
    .alias('subs')
    .description('list subscriptions and delete a durable or shared one')
    .addHelpText('after', '\nExamples:\n  $ ordo subscription ls\n  $ ordo subs rm \'$durable/billing/audit\'\n')
    .addCommand(lsCommand())
    .addCommand(rmCommand());
}

function lsCommand(): Command {
  return withClientOptions(new Command('ls'))
    .description('list the live subscriptions of every connection, then durable and shared ones whose subscriber is away'
      + ' (connection "(away)"): pattern, guarantee, order, who, durable name or group, backing queue with its ready and unacked counts')
    .addHelpText('after', '\nExamples:\n  $ ordo subscription ls\n  $ ordo subs ls --json\n')
    .action((flags: ClientFlags) => runCommand(async () => {
      const subs = await withClient(flags, (client) => client.admin.subscriptions());
      process.stdout.write(listText(subs, flags.json, subscriptionTable));
    }));
}

function rmCommand(): Command {
  return withClientOptions(new Command('rm'))
    .description('delete the durable or shared subscription whose messages queue QUEUE holds (the queue column of ls),'
      + ' with its messages; a live subscriber of it has its subscription ended')
    .argument('<queue>', 'the subscription\'s backing queue')
    .addHelpText('after', '\nExample:\n  $ ordo subscription rm \'$durable/billing/audit\'\n')
    .action((queue: string, flags: ClientFlags) => runCommand(async () => {
      const { deleted } = await withClient(flags, (client) => client.admin.deleteSubscription(queue));
      process.stdout.write(flags.json
        ? `${jsonLine({ queue, deleted })}\n`
        : `deleted the subscription of ${queue} and ${plural(deleted, 'message')}\n`);
    }));
}
