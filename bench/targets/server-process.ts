/**
 * Running a broker server as a child process: free loopback ports, finding an
 * installed binary, waiting until the server accepts clients, and stopping it
 * (and only it, by pid) afterwards. Shared by every target so each server is
 * started and stopped the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { sleep } from '../timing.js';

/** Every server and client of the harness talks over this address only. */
export const LOOPBACK = '127.0.0.1';

/** A port free on 127.0.0.1 right now (found by binding port 0 and closing). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not read the bound port');
  return address.port;
}

/** The path of executable `name` in PATH or the sbin folders Debian installs servers to, or undefined. */
export async function findBinary(name: string, extraDirs: readonly string[] = []): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin', ...extraDirs];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** {@link findBinary}, or throws "`name` not installed" (a target's start when the binary is gone). */
export async function requireBinary(name: string, extraDirs: readonly string[] = []): Promise<string> {
  const path = await findBinary(name, extraDirs);
  if (path === undefined) throw new Error(`${name} not installed`);
  return path;
}

/** Whether `path` is a file this process may execute. */
export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A fresh private temp folder for a server's config and data. */
export function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `ordo-bench-${prefix}-`));
}

/** Removes a temp folder made by {@link makeTempDir}, ignoring errors. */
export async function removeTempDir(dir: string | undefined): Promise<void> {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
}

/** How to start a server and know it is ready. */
export interface ServerProcessOptions {
  /** Name used in error messages. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  /** Added to the bench process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Ready when this pattern matches a line of stdout or stderr ... */
  readonly readyLine?: RegExp;
  /** ... or when this 127.0.0.1 port accepts a TCP connection. */
  readonly readyPort?: number;
  /** Bound on the wait for readiness, ms. */
  readonly startTimeoutMs: number;
  /** Time between SIGTERM and SIGKILL, ms. Default 3000. */
  readonly stopTimeoutMs?: number;
}

const OUTPUT_TAIL_CHARS = 4000;
/** USER_HZ of /proc/<pid>/stat: 100 on every Linux in practice. */
const CLOCK_TICKS_PER_SECOND = 100;

/** A running server child process. */
export class ServerProcess {
  private output = '';
  private exited = false;
  private readonly exit: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly options: ServerProcessOptions,
  ) {
    const collect = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exit = new Promise((resolve) => {
      child.once('exit', () => {
        this.exited = true;
        resolve();
      });
      child.once('error', () => {
        this.exited = true;
        resolve();
      });
    });
  }

  /** Spawns the server and resolves once it is ready; stops it and rejects if it is not in time. */
  static async start(options: ServerProcessOptions): Promise<ServerProcess> {
    const child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new ServerProcess(child, options);
    try {
      await server.waitReady();
      return server;
    } catch (err) {
      await server.stop();
      throw err;
    }
  }

  /** The server's pid. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The first match of `readyLine` in the output so far (e.g. to read the URL a server printed). */
  matchOutput(pattern: RegExp): RegExpMatchArray | null {
    return this.output.match(pattern);
  }

  /**
   * CPU time (user + system) used so far by the server and its descendants,
   * ms, from /proc (10 ms resolution); undefined where /proc is missing.
   */
  async cpuTimeMs(): Promise<number | undefined> {
    if (this.exited || this.child.pid === undefined) return undefined;
    const pids = [this.child.pid, ...(await descendantPids(this.child.pid))];
    let ticks = 0;
    for (const pid of pids) {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
      if (stat === undefined) {
        if (pid === this.child.pid) return undefined;
        continue;
      }
      // Fields after "pid (comm) ": state is field 3, utime 14 and stime 15 (proc(5)).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    }
    return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  }

  /** The last few kB the server printed, for error messages. */
  outputTail(): string {
    return this.output.trim().split('\n').slice(-8).join('\n');
  }

  /**
   * SIGTERM to the server, SIGKILL after `stopTimeoutMs` to it and to any of
   * its descendants still alive (a wrapper script's real server, for one).
   */
  async stop(): Promise<void> {
    if (this.exited || this.child.pid === undefined) return;
    const pid = this.child.pid;
    const descendants = await descendantPids(pid);
    this.child.kill('SIGTERM');
    const timeoutMs = this.options.stopTimeoutMs ?? 3000;
    await Promise.race([this.exit, sleep(timeoutMs)]);
    if (!this.exited) this.child.kill('SIGKILL');
    await Promise.race([this.exit, sleep(1000)]);
    if (descendants.some(isAlive)) await sleep(Math.min(timeoutMs, 2000));
    for (const survivor of descendants.filter(isAlive)) process.kill(survivor, 'SIGKILL');
  }

  private async waitReady(): Promise<void> {
    const { name, readyLine, readyPort, startTimeoutMs } = this.options;
    const deadline = performance.now() + startTimeoutMs;
    while (performance.now() < deadline) {
      if (this.exited) throw new Error(`${name} exited while starting:\n${this.outputTail()}`);
      if (readyLine !== undefined && readyLine.test(this.output)) return;
      if (readyPort !== undefined && (await acceptsConnections(readyPort))) return;
      await sleep(50);
    }
    throw new Error(`${name} not ready after ${startTimeoutMs} ms:\n${this.outputTail()}`);
  }
}

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: LOOPBACK, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids below `pid` in the process tree (Linux /proc; empty elsewhere). */
async function descendantPids(pid: number): Promise<number[]> {
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    const threads = await readdir(`/proc/${next}/task`).catch(() => [] as string[]);
    for (const thread of threads) {
      const text = await readFile(`/proc/${next}/task/${thread}/children`, 'utf8').catch(() => '');
      for (const child of text.split(' ').filter((s) => s.trim() !== '')) {
        found.push(Number(child));
        queue.push(Number(child));
      }
    }
  }
  return found;
}
