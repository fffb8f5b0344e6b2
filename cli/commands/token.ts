import { Command, Option } from 'commander';
import { jsonLine } from '../format.js';
import { withClientOptions, type ClientFlags } from '../options.js';
import { runCommand, withClient } from '../run-command.js';
import { parseDuration } from '../security-input.js';

/** Flags of `token create`: --user is the token's user, the login user is --login-user. */
interface CreateFlags extends ClientFlags {
  loginUser?: string;
  ttl: number;
}

/** `ordo token create`: bearer tokens for applications and browsers. */
export function tokenCommand(): Command {
  return new Command('token')
    .description('make bearer tokens: signed, with a user and an expiry; the broker keeps no copy')
    .addHelpText('after', "\nExample:\n  $ export ORDO_TOKEN=$(ordo token create --user alice --password \"$ALICE_PASSWORD\" --ttl 1h)\n  $ ordo pub sensors/alice/t 21.5\n")
    .addCommand(createCommand());
}

function createCommand(): Command {
  return withClientOptions(new Command('create'), ['user'])
    .description('make a token that logs in as USER for TTL; prints just the token (with --json: token, user, expiresAt)')
    .addOption(new Option('--user <name>', 'the user the token logs in as; default: the user you log in as'))
    .addOption(new Option('--ttl <duration>', 'how long the token is accepted: 30s, 15m, 1h, 7d, or milliseconds (at most the broker\'s auth.maxTokenTtlMs, 30 days by default)')
      .argParser(parseDuration).makeOptionMandatory())
    .addHelpText('after', [
      '',
      'Here --user names the token\'s user. You log in as --login-user (ORDO_USER) with --password (ORDO_PASSWORD),',
      'or with --token. With a password and no login user, you log in as --user itself: a user makes their own token.',
      'A token for another user needs an administrator; a login with a token cannot make tokens for itself.',
      'A removed user\'s tokens stop working at once.',
      '',
      'Examples:',
      '  $ ordo token create --user alice --password "$ALICE_PASSWORD" --ttl 1h',
      '  $ ORDO_USER=admin ORDO_PASSWORD=... ordo token create --user alice --ttl 7d',
      '  $ ordo token create --user alice --ttl 1h --json',
      '',
    ].join('\n'))
    .action((flags: CreateFlags) => runCommand(async () => {
      const loginUser = flags.loginUser ?? (flags.password !== undefined ? flags.user : undefined);
      const info = await withClient({ ...flags, user: loginUser }, (client) => client.tokens.create({ user: flags.user, ttlMs: flags.ttl }));
      // Text mode prints the token alone, so `export ORDO_TOKEN=$(ordo token create ...)` works.
      process.stdout.write(flags.json ? `${jsonLine(info)}\n` : `${info.token}\n`);
    }));
}
