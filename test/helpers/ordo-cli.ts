import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { expect } from 'vitest';
import { ORDO_BIN } from './broker.js';
import { waitFor } from './wait-for.js';

/**
 * Runs the real `ordo` command (bin/ordo.js → dist/, so `npm run build`
 * first) as a child process, for the CLI's integration tests.
 */

/** How an `ordo` run ended. */
export interface OrdoRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running `ordo` process with its output so far. */
export interface OrdoProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<OrdoRun>;
}

/** Options of startOrdo and ordo. */
export interface OrdoOptions {
  /** Written to stdin, which is then closed (closed at once without it). */
  input?: string;
  /** Added to the environment, which has no ORDO_* variables of its own. */
  env?: Record<string, string>;
}

const running = new Set<ChildProcess>();

/** Starts `node bin/ordo.js ...args`. */
export function startOrdo(args: string[], opts: OrdoOptions = {}): OrdoProcess {
  const child = spawn(process.execPath, [ORDO_BIN, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    // No ORDO_URL / ORDO_TOKEN from the developer's shell unless a test sets them.
    env: { ...withoutOrdoEnv(process.env), ...opts.env },
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  child.stdin!.end(opts.input);
  const exited = new Promise<OrdoRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs `ordo ...args` to completion. */
export function ordo(args: string[], opts: OrdoOptions = {}): Promise<OrdoRun> {
  return startOrdo(args, opts).exited;
}

/** Runs `ordo ...args`, expects exit 0 and returns its stdout. */
export async function ordoOk(args: string[], opts: OrdoOptions = {}): Promise<string> {
  const run = await ordo(args, opts);
  expect(run.code, `ordo ${args.join(' ')}: ${run.stderr}`).toBe(0);
  return run.stdout;
}

/** Kills (SIGKILL) every `ordo` process a test left running, by its own pid. */
export function killLeftoverOrdos(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Waits until a running `ordo` wrote `text` to stderr (or exited), and checks it did. */
export async function waitForStderr(proc: OrdoProcess, text: string): Promise<void> {
  await waitFor(() => proc.stderr().includes(text) || proc.child.exitCode !== null, { timeoutMs: 20_000 }, `ordo prints '${text}'`);
  expect(proc.stderr(), 'the process exited first').toContain(text);
}

/** The non-empty lines of `text`. */
export const lines = (text: string): string[] => text.split('\n').filter((l) => l.length > 0);

/** Each line of `text` parsed as JSON. */
export function jsonLines<T = Record<string, unknown>>(text: string): T[] {
  return lines(text).map((l) => JSON.parse(l) as T);
}

/** Exactly one line on stderr matching `pattern`, nothing on stdout, exit status 1. */
export function expectOneLineFailure(run: OrdoRun, pattern: RegExp): void {
  expect(run.code, `stderr: ${run.stderr}`).toBe(1);
  expect(run.stdout).toBe('');
  expect(lines(run.stderr), run.stderr).toHaveLength(1);
  expect(run.stderr).toMatch(pattern);
}

/** A URL where nothing listens: a port that was free a moment ago. */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `ws://127.0.0.1:${port}`;
}

function withoutOrdoEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !k.startsWith('ORDO_')) out[k] = v;
  return out;
}
