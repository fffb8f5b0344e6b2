import { Command } from 'commander';
import { brokerCommand } from './commands/broker.js';
import { pubCommand } from './commands/pub.js';
import { subCommand } from './commands/sub.js';
import { queueCommand } from './commands/queue.js';
import { sendCommand } from './commands/send.js';
import { consumeCommand } from './commands/consume.js';
import { statsCommand } from './commands/stats.js';
import { benchCommand } from './commands/bench.js';
import { userCommand } from './commands/user.js';
import { aclCommand } from './commands/acl.js';
import { tokenCommand } from './commands/token.js';
import { topicCommand } from './commands/topic.js';
import { connCommand } from './commands/conn.js';
import { subscriptionCommand } from './commands/subscription.js';
import { backupCommand } from './commands/backup.js';
import { restoreCommand } from './commands/restore.js';
import { completionCommand } from './commands/completion.js';

/** The `ordo` program: the only place that uses commander. */
export function program(): Command {
  const ordo = new Command('ordo')
    .description('Ordo message broker: run a broker, publish, subscribe, use queues, inspect and steer the broker'
      + ' (queues, topics, connections, subscriptions, stats), back it up, benchmark, manage users, ACL rules and tokens')
    .version('0.1.0')
    .addHelpText('after', "\nExamples:\n  $ ordo broker\n  $ ordo sub 'orders/+/created' --count 2\n  $ ordo pub orders/eu/created hello\n  $ ordo send jobs '{\"id\":1}' --parse-json\n  $ ordo consume jobs --count 1\n  $ ordo queue ls\n  $ ordo queue redrive jobs.dlq\n  $ ordo conn ls\n  $ ordo stats --watch\n  $ ordo backup ordo-backup.db\n  $ ORDO_ADMIN_PASSWORD=... ordo broker --auth\n  $ ORDO_USER=admin ORDO_PASSWORD=... ordo user add alice --role ops < alice-password.txt\n")
    .addCommand(brokerCommand())
    .addCommand(pubCommand())
    .addCommand(subCommand())
    .addCommand(queueCommand())
    .addCommand(topicCommand())
    .addCommand(connCommand())
    .addCommand(subscriptionCommand())
    .addCommand(sendCommand())
    .addCommand(consumeCommand())
    .addCommand(statsCommand())
    .addCommand(benchCommand())
    .addCommand(backupCommand())
    .addCommand(restoreCommand())
    .addCommand(userCommand())
    .addCommand(aclCommand())
    .addCommand(tokenCommand())
    .addCommand(completionCommand(() => ordo));
  forEachCommand(ordo, oneLineUsageErrors);
  return ordo;
}

export async function main(argv: string[]): Promise<void> {
  await program().parseAsync(argv);
}

/**
 * Usage errors (a bad flag value, an unknown option, a missing argument) as
 * one line, `ordo: <what is wrong> (see ordo CMD --help)`, like every other
 * failure; commander still exits with status 1.
 */
function oneLineUsageErrors(cmd: Command): void {
  cmd.configureOutput({
    outputError: (message, write) => {
      write(`ordo: ${message.replace(/^error: /, '').trim()} (see ${commandPath(cmd)} --help)\n`);
    },
  });
}

/** `ordo queue create` for the create subcommand of queue. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let at: Command | null = cmd; at !== null; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

/** addCommand() does not pass settings down (only command() does): apply them to every command. */
function forEachCommand(cmd: Command, apply: (cmd: Command) => void): void {
  apply(cmd);
  for (const sub of cmd.commands) forEachCommand(sub, apply);
}
