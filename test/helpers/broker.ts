import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker, type BrokerHandle, type StartBrokerOptions } from '../../broker/index.js';

/** Where `ordo` lives: bin/ordo.js runs the compiled CLI in dist/ (built by `npm run build`). */
export const ORDO_BIN = fileURLToPath(new URL('../../bin/ordo.js', import.meta.url));

/** A broker running in the test process, with its own temp data dir. */
export interface TestBroker extends BrokerHandle {
  readonly dataDir: string;
  /** Closes the broker (idempotent) and removes its data dir. */
  cleanup(): Promise<void>;
}

/** Creates a fresh empty data dir under the OS temp dir. */
export function makeTempDir(prefix = 'ordo-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/**
 * Starts an in-process broker on 127.0.0.1, port 0 (a free port) unless
 * `opts.port` says otherwise, with a fresh temp data dir unless
 * `opts.dataDir` is given (a given dir is not removed by cleanup).
 */
export async function startTestBroker(opts: StartBrokerOptions = {}): Promise<TestBroker> {
  const ownsDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? await makeTempDir();
  let handle: BrokerHandle;
  try {
    // Quiet unless something goes wrong; a test that reads the log passes its own `log` or `logger`.
    handle = await startBroker({ host: '127.0.0.1', port: 0, log: { level: 'warn' }, ...opts, dataDir });
  } catch (err) {
    if (ownsDir) await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...handle,
    dataDir,
    cleanup: async () => {
      await handle.close();
      if (ownsDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A broker running as a child process (`node bin/ordo.js broker`). */
export interface BrokerProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  readonly dataDir: string;
  /** Everything the child wrote to stderr so far. */
  stderr(): string;
  /** Sends `signal` (default SIGKILL) and resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops the process (SIGTERM, then SIGKILL after 3 s) and removes the data dir if this helper made it. */
  stop(): Promise<void>;
}

/** Options of spawnBrokerProcess. */
export interface SpawnBrokerOptions {
  /** Port to listen on. Default 0 (a free one). */
  port?: number;
  /** Data dir to use (kept by stop()). Default: a fresh temp dir (removed by stop()). */
  dataDir?: string;
  /** Give up waiting for the `listening on` line after this many ms. Default 10000. */
  startTimeoutMs?: number;
  /** Variables added to the child's environment (this process's environment otherwise). */
  env?: Readonly<Record<string, string>>;
}

/**
 * Spawns `node bin/ordo.js broker --host 127.0.0.1 --port <port> --data <dir> ...args`
 * and resolves once it prints `listening on ws://...`. Rejects with the
 * child's stderr if it exits first or does not listen within 10 s.
 * Needs a built dist/ (`npm run build`; `npm test` does it in pretest).
 */
export async function spawnBrokerProcess(args: string[] = [], opts: SpawnBrokerOptions = {}): Promise<BrokerProcess> {
  const ownsDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? await makeTempDir();
  const child = spawn(process.execPath, [
    ORDO_BIN, 'broker', '--host', '127.0.0.1', '--port', String(opts.port ?? 0), '--data', dataDir, ...args,
  ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => { stderr += chunk; });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`broker process did not listen within ${opts.startTimeoutMs ?? 10_000} ms; stderr: ${stderr}`));
      }, opts.startTimeoutMs ?? 10_000);
      const onData = (chunk: string): void => {
        stdout += chunk;
        const match = /listening on (wss?:\/\/\S+)/.exec(stdout);
        if (match) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          resolve(match[1]);
        }
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`broker process exited (code ${code}, signal ${signal}) before listening; stderr: ${stderr}`));
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    if (ownsDir) await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  // Keep draining stdout so the child never blocks on a full pipe.
  child.stdout!.resume();

  const isRunning = (): boolean => child.exitCode === null && child.signalCode === null;
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    if (isRunning()) child.kill(signal);
    await exited;
  };
  return {
    url,
    port: Number(new URL(url).port),
    child,
    dataDir,
    stderr: () => stderr,
    kill,
    stop: async () => {
      if (isRunning()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => { if (isRunning()) child.kill('SIGKILL'); }, 3000);
        await exited;
        clearTimeout(timer);
      }
      if (ownsDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
