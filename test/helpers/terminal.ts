import { spawn } from 'node:child_process';
import { waitFor } from './wait-for.js';

/**
 * Runs a command on a pseudo-terminal (util-linux `script`), for what a
 * command does only on a terminal: progress bars, screens redrawn in place,
 * Ctrl-C typed at the keyboard.
 */

/** How a terminal run ended: the exit status and everything the terminal showed (stdout and stderr, escape codes included). */
export interface TerminalRun {
  code: number | null;
  output: string;
}

/** Options of {@link runInTerminal}. */
export interface TerminalOptions {
  /** Once the output satisfies this, type Ctrl-C (the terminal sends SIGINT to the command). Default: wait for the command to end. */
  until?: (output: string) => boolean;
  /** Give up (and kill the command) after this many ms. Default 20000. */
  timeoutMs?: number;
}

const CTRL_C = '\x03';

/** Runs `argv` on a terminal, with `env` added to an environment that has no ORDO_* variables of its own. */
export async function runInTerminal(argv: readonly string[], env: Record<string, string>, opts: TerminalOptions = {}): Promise<TerminalRun> {
  // `exec`: the command replaces script's shell, so Ctrl-C reaches the command alone. Without it
  // dash (the shell when SHELL is unset, as in CI) stays in the terminal's foreground and dies of it (status 130).
  const child = spawn('script', ['--quiet', '--flush', '--return', '--command', `exec ${argv.map(shellQuote).join(' ')}`, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...withoutOrdoEnv(process.env), ...env },
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => { output += s; });
  child.stderr.setEncoding('utf8').on('data', (s: string) => { output += s; });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    if (opts.until !== undefined) {
      const until = opts.until;
      await waitFor(() => until(output) || child.exitCode !== null, { timeoutMs }, 'the terminal shows what was waited for');
      child.stdin.write(CTRL_C);
    }
    const code = await exited;
    return { code, output };
  } finally {
    clearTimeout(timer);
    child.stdin.destroy();
  }
}

function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

function withoutOrdoEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !k.startsWith('ORDO_')) out[k] = v;
  return out;
}
