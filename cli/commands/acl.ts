import { Command, Option } from 'commander';
import { ACL_RULE_ACTIONS, OrdoError, type AclRuleAction, type AclRuleInfo } from '../../client/index.js';
import { jsonLine, listText, table } from '../format.js';
import { parsePositiveInt, withClientOptions, type ClientFlags } from '../options.js';
import { runCommand, withClient } from '../run-command.js';
import { parseSubject } from '../security-input.js';

interface AddFlags extends ClientFlags {
  subject: string;
  action: AclRuleAction;
  pattern: string;
}

/** `ordo acl ls|add|rm`: the broker's access control list. */
export function aclCommand(): Command {
  return new Command('acl')
    .description('list, add and remove ACL rules: who may publish, subscribe, send, consume or administer what')
    .addHelpText('after', [
      '',
      'Rules only allow; once the broker has authentication on, anything no rule allows is refused (ERR_FORBIDDEN).',
      'Role admin may do everything without a rule. A pattern uses the topic wildcards (+ one level, # the rest)',
      'and applies to topic and queue names alike; {user} as a whole level is the user\'s own name.',
      'Needs an administrator: log in with --user and --password (ORDO_USER, ORDO_PASSWORD), or --token.',
      '',
      'Examples:',
      "  $ ordo acl add --subject role:ops --action publish --pattern 'orders/#'",
      "  $ ordo acl add --subject user:alice --action subscribe --pattern 'home/{user}/#'",
      '  $ ordo acl ls',
      '  $ ordo acl rm 3',
      '',
    ].join('\n'))
    .addCommand(lsCommand())
    .addCommand(addCommand())
    .addCommand(rmCommand());
}

function lsCommand(): Command {
  return withClientOptions(new Command('ls'))
    .description('list ACL rules: id, subject, action, pattern')
    .addHelpText('after', '\nExamples:\n  $ ordo acl ls\n  $ ordo acl ls --json\n')
    .action((flags: ClientFlags) => runCommand(async () => {
      const rules = await withClient(flags, (client) => client.acl.list());
      process.stdout.write(listText(rules, flags.json, ruleTable));
    }));
}

function addCommand(): Command {
  return withClientOptions(new Command('add'))
    .description('add a rule allowing SUBJECT to do ACTION on the topics or queues PATTERN matches; prints it with its id')
    .addOption(new Option('--subject <subject>', 'whom it allows: user:NAME or role:NAME').argParser(parseSubject).makeOptionMandatory())
    .addOption(new Option('--action <action>', 'what it allows: publish and subscribe (topics), send and consume (queues), admin (queues; the broker on #)')
      .choices(ACL_RULE_ACTIONS).makeOptionMandatory())
    .addOption(new Option('--pattern <pattern>', 'topic or queue pattern, with + and # wildcards and {user}').makeOptionMandatory())
    .addHelpText('after', "\nExamples:\n  $ ordo acl add --subject user:alice --action publish --pattern 'sensors/alice/#'\n  $ ordo acl add --subject role:workers --action consume --pattern 'jobs'\n  $ ordo acl add --subject role:ops --action admin --pattern '#'\n")
    .action((flags: AddFlags) => runCommand(async () => {
      const rule = await withClient(flags, (client) => client.acl.add({ subject: flags.subject, action: flags.action, pattern: flags.pattern }));
      process.stdout.write(flags.json ? `${jsonLine(rule)}\n` : `added rule ${rule.id}: ${rule.subject} may ${rule.action} ${rule.pattern}\n`);
    }));
}

function rmCommand(): Command {
  return withClientOptions(new Command('rm'))
    .description('remove rule ID (see ordo acl ls); the users it applied to are asked to connect again')
    .argument('<id>', 'rule id', parsePositiveInt)
    .addHelpText('after', '\nExample:\n  $ ordo acl rm 3\n')
    .action((id: number, flags: ClientFlags) => runCommand(async () => {
      const removed = await withClient(flags, (client) => client.acl.remove(id));
      if (!removed) throw new OrdoError('ERR_NOT_FOUND', `no ACL rule ${id}`);
      process.stdout.write(flags.json ? `${jsonLine({ id, removed })}\n` : `removed rule ${id}\n`);
    }));
}

/** Rules as `ordo acl ls` shows them. */
function ruleTable(rules: readonly AclRuleInfo[]): string {
  return table(['id', 'subject', 'action', 'pattern'], rules.map((r) => [r.id, r.subject, r.action, r.pattern]));
}
