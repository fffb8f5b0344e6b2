import { Command, Option } from 'commander';
import { OrdoError, type UserInfo } from '../../client/index.js';
import { jsonLine, listText, table } from '../format.js';
import { withClientOptions, type ClientFlags } from '../options.js';
import { runCommand, withClient } from '../run-command.js';
import { collect, newPassword } from '../security-input.js';

/** Flags of a command whose own --password is the new one: the login password is --login-password. */
interface NewPasswordFlags extends ClientFlags {
  loginPassword?: string;
  role?: string[];
}

interface RolesFlags extends ClientFlags {
  /** false with --no-role. */
  role?: string[] | false;
}

const LOGIN_HELP = 'Needs an administrator once the broker has authentication on: log in with --user and --password\n'
  + '(ORDO_USER, ORDO_PASSWORD), or --token. Works with authentication off too, so users can be made first.';

/** `ordo user add|rm|ls|passwd|roles`: the broker's users. */
export function userCommand(): Command {
  return new Command('user')
    .description('add, remove, list users; change their password or roles')
    .addHelpText('after', `\n${LOGIN_HELP}\n\nExamples:\n  $ export ORDO_USER=admin ORDO_PASSWORD=...\n  $ ordo user add alice --role ops < alice-password.txt\n  $ ordo user ls\n  $ ordo user roles alice --role ops --role billing\n  $ ordo user rm alice\n`)
    .addCommand(addCommand())
    .addCommand(rmCommand())
    .addCommand(lsCommand())
    .addCommand(passwdCommand())
    .addCommand(rolesCommand());
}

/** --password of add and passwd: the new password (the login's is --login-password). */
function newPasswordOption(): Option {
  return new Option('--password <password>', 'the new password, 8 to 1024 characters; else ORDO_NEW_PASSWORD, else one line on stdin')
    .env('ORDO_NEW_PASSWORD');
}

/** The login of a command whose --password is a new password. */
function login(flags: NewPasswordFlags): ClientFlags {
  return { ...flags, password: flags.loginPassword };
}

function addCommand(): Command {
  return withClientOptions(new Command('add'), ['password'])
    .description('add user NAME with a password and roles')
    .argument('<name>', 'user name: letters, digits and _ . @ -, up to 64 characters')
    .addOption(newPasswordOption())
    .addOption(new Option('--role <role>', 'a role of the user (repeatable); role admin may do everything').argParser(collect))
    .addHelpText('after', '\nThe login password is --login-password (ORDO_PASSWORD) here: --password is the new user\'s.\n\nExamples:\n  $ ordo user add alice --role ops < alice-password.txt\n  $ ORDO_NEW_PASSWORD=... ordo user add bob\n')
    .action((name: string, flags: NewPasswordFlags) => runCommand(async () => {
      const password = await newPassword(flags.password);
      const info = await withClient(login(flags), (client) => client.users.add(name, password, { roles: flags.role ?? [] }));
      process.stdout.write(flags.json ? `${jsonLine(info)}\n` : `added user ${info.user} with ${rolesText(info.roles)}\n`);
    }));
}

function rmCommand(): Command {
  return withClientOptions(new Command('rm'))
    .description('remove user NAME: their connections are closed and their tokens stop working')
    .argument('<name>', 'user name')
    .addHelpText('after', '\nExample:\n  $ ordo user rm alice\n')
    .action((name: string, flags: ClientFlags) => runCommand(async () => {
      const removed = await withClient(flags, (client) => client.users.remove(name));
      if (!removed) throw new OrdoError('ERR_NOT_FOUND', `no user ${name}`);
      process.stdout.write(flags.json ? `${jsonLine({ user: name, removed })}\n` : `removed user ${name}\n`);
    }));
}

function lsCommand(): Command {
  return withClientOptions(new Command('ls'))
    .description('list users with their roles and when they were made')
    .addHelpText('after', '\nExamples:\n  $ ordo user ls\n  $ ordo user ls --json\n')
    .action((flags: ClientFlags) => runCommand(async () => {
      const users = await withClient(flags, (client) => client.users.list());
      process.stdout.write(listText(users, flags.json, userTable));
    }));
}

function passwdCommand(): Command {
  return withClientOptions(new Command('passwd'), ['password'])
    .description('set the password of user NAME')
    .argument('<name>', 'user name')
    .addOption(newPasswordOption())
    .addHelpText('after', '\nThe login password is --login-password (ORDO_PASSWORD) here: --password is the new one.\n\nExamples:\n  $ ordo user passwd alice < new-password.txt\n  $ ORDO_NEW_PASSWORD=... ordo user passwd alice\n')
    .action((name: string, flags: NewPasswordFlags) => runCommand(async () => {
      const password = await newPassword(flags.password);
      await withClient(login(flags), (client) => client.users.passwd(name, password));
      process.stdout.write(flags.json ? `${jsonLine({ user: name })}\n` : `changed the password of ${name}\n`);
    }));
}

function rolesCommand(): Command {
  return withClientOptions(new Command('roles'))
    .description('set the roles of user NAME to exactly those given; their connections are asked to connect again')
    .argument('<name>', 'user name')
    .addOption(new Option('--role <role>', 'a role (repeatable)').argParser(collect))
    .addOption(new Option('--no-role', 'remove every role'))
    .addHelpText('after', '\nExamples:\n  $ ordo user roles alice --role ops --role billing\n  $ ordo user roles alice --no-role\n')
    .action((name: string, flags: RolesFlags) => runCommand(async () => {
      if (flags.role === undefined) throw new Error('give the roles with --role (repeatable), or --no-role to remove them all');
      const roles = flags.role === false ? [] : flags.role;
      const info = await withClient(flags, (client) => client.users.setRoles(name, roles));
      process.stdout.write(flags.json ? `${jsonLine(info)}\n` : `${info.user} now has ${rolesText(info.roles)}\n`);
    }));
}

function rolesText(roles: readonly string[]): string {
  return roles.length === 0 ? 'no roles' : `role${roles.length === 1 ? '' : 's'} ${roles.join(', ')}`;
}

/** Users as `ordo user ls` shows them: name, roles, creation time. */
function userTable(users: readonly UserInfo[]): string {
  return table(['user', 'roles', 'created'], users.map((u) => [u.user, u.roles.join(',') || '-', new Date(u.createdAt).toISOString()]));
}
