import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { program } from '../../cli/main.js';

/**
 * Every command of `ordo`, subcommands included, has `--help` with an
 * example of itself: the whole command tree, so a command added later
 * cannot miss one.
 */

/** Each command under `cmd` (itself included) with its path: `ordo queue create`. */
function commands(cmd: Command, path: string[] = []): { path: string; cmd: Command }[] {
  const here = [...path, cmd.name()];
  return [{ path: here.join(' '), cmd }, ...cmd.commands.flatMap((sub) => commands(sub, here))];
}

/** What `--help` prints for `cmd`, the text addHelpText adds included. */
function helpOf(cmd: Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => { text += s; } });
  cmd.outputHelp();
  return text;
}

const ALL = commands(program());

describe('ordo --help', () => {
  it('covers the whole command tree', () => {
    const paths = ALL.map((c) => c.path);
    for (const path of ['ordo', 'ordo broker', 'ordo queue redrive', 'ordo topic clear-retained', 'ordo conn kick', 'ordo subscription rm', 'ordo completion']) {
      expect(paths).toContain(path);
    }
  });

  it.each(ALL.map((c) => [c.path, c.cmd] as const))('%s --help shows an example of itself', (path, cmd) => {
    const help = helpOf(cmd);
    expect(help).toContain(`Usage: ${path}`);
    // `ordo subscription` is also `ordo subs`: either name is an example of it.
    const names = [path, ...cmd.aliases().map((alias) => path.replace(/\S+$/, alias))];
    const example = new RegExp(`Examples?:\\n(?: {2}\\$ .*\\n)*? {2}\\$ .*(?:${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})\\b`);
    expect(help).toMatch(example);
  });
});
