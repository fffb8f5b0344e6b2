import { Command } from 'commander';
import { connectionTable } from '../admin-format.js';
import { jsonLine, listText } from '../format.js';
import { withClientOptions, type ClientFlags } from '../options.js';
import { runCommand, withClient } from '../run-command.js';

/** `ordo conn ls|kick`: the broker's connections. */
export function connCommand(): Command {
  return new Command('conn')
    .description('list connections and kick one')
    .addHelpText('after', '\nExamples:\n  $ ordo conn ls\n  $ ordo conn kick c42\n')
    .addCommand(lsCommand())
    .addCommand(kickCommand());
}

function lsCommand(): Command {
  return withClientOptions(new Command('ls'))
    .description('list connections: id, client id, user, address, protocol version, age, subscriptions, consumers,'
      + ' messages in and out with their rates (msg/s), dropped messages, bytes buffered for sending; this command\'s own included')
    .addHelpText('after', '\nExamples:\n  $ ordo conn ls\n  $ ordo conn ls --json\n')
    .action((flags: ClientFlags) => runCommand(async () => {
      const conns = await withClient(flags, (client) => client.admin.connections());
      process.stdout.write(listText(conns, flags.json, (rows) => connectionTable(rows)));
    }));
}

function kickCommand(): Command {
  return withClientOptions(new Command('kick'))
    .description('close connection ID (as conn ls shows it) with ERR_KICKED; its client may reconnect')
    .argument('<id>', 'connection id')
    .addHelpText('after', '\nExample:\n  $ ordo conn kick c42\n')
    .action((id: string, flags: ClientFlags) => runCommand(async () => {
      await withClient(flags, (client) => client.admin.kick(id));
      process.stdout.write(flags.json ? `${jsonLine({ connectionId: id, kicked: true })}\n` : `kicked connection ${id}\n`);
    }));
}
