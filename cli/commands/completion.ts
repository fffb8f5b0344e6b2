import { Command } from 'commander';

/**
 * `ordo completion bash`: a bash completion script made from the command
 * tree itself, so it never falls behind a new command or flag. It completes
 * subcommand names, then the flags of the command typed so far.
 */
export function completionCommand(root: () => Command): Command {
  return new Command('completion')
    .description('print a shell completion script (bash) for ordo: commands, subcommands and flags')
    .argument('<shell>', 'the shell: bash')
    .addHelpText('after', '\nExamples:\n  $ ordo completion bash > /etc/bash_completion.d/ordo\n  $ source <(ordo completion bash)\n')
    .action((shell: string, _flags: unknown, cmd: Command) => {
      if (shell !== 'bash') cmd.error(`error: no completion for shell ${shell} (only bash)`);
      process.stdout.write(bashCompletion(root()));
    });
}

/** The bash script completing `program`'s commands and flags. */
export function bashCompletion(program: Command): string {
  const cases = commandPaths(program)
    // Longest paths first: the first matching case is the deepest command typed.
    .sort((a, b) => b.path.length - a.path.length)
    .map(({ path, words }) => {
      const pattern = path.length === 0 ? '""' : `"${path.join(' ')}"|"${path.join(' ')} "*`;
      return `    ${pattern}) words="${words.join(' ')}" ;;`;
    });
  return [
    '# bash completion for ordo (ordo completion bash)',
    '_ordo() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}" typed="" i words=""',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    case "${COMP_WORDS[i]}" in -*) ;; *) typed="${typed:+$typed }${COMP_WORDS[i]}" ;; esac',
    '  done',
    '  case "$typed" in',
    ...cases,
    '  esac',
    '  COMPREPLY=($(compgen -W "$words" -- "$cur"))',
    '}',
    'complete -F _ordo ordo',
    '',
  ].join('\n');
}

/** Every command path (`[]`, `['queue']`, `['queue', 'ls']`, aliases too) with the words that may follow it. */
function commandPaths(cmd: Command, path: string[] = []): { path: string[]; words: string[] }[] {
  const subs = cmd.commands.filter((c) => c.name() !== 'help');
  const flags = cmd.options.filter((o) => !o.hidden).flatMap((o) => [o.long, o.short]).filter((f): f is string => f !== undefined);
  const here = { path, words: [...subs.flatMap((c) => [c.name(), ...c.aliases()]), ...flags, '--help'] };
  return [here, ...subs.flatMap((c) => [c.name(), ...c.aliases()].flatMap((name) => commandPaths(c, [...path, name])))];
}
