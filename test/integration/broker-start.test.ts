import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, isOrdoError } from '../../client/index.js';
import { ORDO_BIN } from '../helpers/broker.js';
import { expectOneLineFailure, killLeftoverOrdos, ordo, startOrdo, type OrdoRun } from '../helpers/ordo-cli.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * `ordo broker` as a user starts it (a child process): the effective
 * configuration from file, environment and flags (--print-config), a real
 * start configured by the environment alone, and each way a start fails —
 * unknown key, wrong type, bad environment value, port in use, unwritable
 * data directory — as one line on stderr and exit status 1.
 */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ordo-broker-start-'));
  await chmod(dir, 0o755); // the unwritable-directory test runs a broker as another user, who must reach inside
});
afterAll(async () => {
  killLeftoverOrdos();
  await rm(dir, { recursive: true, force: true });
});

let files = 0;
async function configFile(content: unknown): Promise<string> {
  const path = join(dir, `ordo-${++files}.json`);
  await writeFile(path, JSON.stringify(content));
  return path;
}

/** A data directory path that does not exist yet. */
const freshDataDir = (): string => join(dir, `data-${++files}`);

describe.concurrent('ordo broker --print-config', () => {
  it('prints defaults < file < environment < flags as JSON, the token secret hidden, and starts nothing', async () => {
    const secret = 'a-token-secret-of-at-least-32-characters';
    const file = await configFile({ port: 7801, host: '127.0.0.2', limits: { maxConnections: 50 }, auth: { tokenSecret: secret } });
    const data = freshDataDir();
    const run = await ordo(['broker', '--config', file, '--data', data, '--log-level', 'debug', '--no-metrics', '--print-config'], {
      env: { ORDO_PORT: '7802', ORDO_LIMITS_MAX_QUEUES: '60', ORDO_LOG_LEVEL: 'error', ORDO_ALLOWED_ORIGINS: 'https://a.example,https://b.example' },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const config = JSON.parse(run.stdout) as Record<string, Record<string, unknown>>;
    expect(config).toMatchObject({
      host: '127.0.0.2', port: 7802, dataDir: data, durability: 'fsync',
      limits: { maxConnections: 50, maxQueues: 60, maxFrameBytes: 1024 * 1024 },
      auth: { enabled: false, tokenSecret: '(redacted)' },
      allowedOrigins: ['https://a.example', 'https://b.example'],
      log: { level: 'debug', format: 'auto' },
      http: { console: true, metrics: false },
    });
    expect(run.stdout).not.toContain(secret);
    expect(existsSync(data)).toBe(false);
  });

  it('reads the file ORDO_CONFIG names', async () => {
    const file = await configFile({ queues: { autoCreate: false } });
    const run = await ordo(['broker', '--print-config'], { env: { ORDO_CONFIG: file } });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ queues: { autoCreate: false }, port: 7700 });
  });
});

/** Runs `ordo broker ...args` that must not start, and checks nothing was made in its data dir. */
async function refused(args: string[], env: Record<string, string> = {}): Promise<OrdoRun> {
  const data = freshDataDir();
  const run = await ordo(['broker', '--host', '127.0.0.1', '--port', '0', '--data', data, ...args], { env });
  expect(existsSync(data), 'the data directory was made').toBe(false);
  return run;
}

describe.concurrent('a bad configuration fails at start with one line naming the problem', () => {
  it('an unknown key in the config file', async () => {
    const file = await configFile({ port: 0, limits: { maxFrames: 1 } });
    expectOneLineFailure(await refused(['--config', file]), lineOf(`ordo: ERR_BAD_CONFIG: config limits.maxFrames is not a known setting (in ${file})`));
  });

  it('a value of the wrong type in the config file', async () => {
    const file = await configFile({ auth: { enabled: 'yes' } });
    expectOneLineFailure(await refused(['--config', file]), lineOf(`ordo: ERR_BAD_CONFIG: config auth.enabled must be a boolean, got "yes" (in ${file})`));
  });

  it('a bad environment value names the variable', async () => {
    expectOneLineFailure(await refused([], { ORDO_LIMITS_MAX_CONNECTIONS: 'many' }),
      lineOf('ordo: ERR_BAD_CONFIG: environment variable ORDO_LIMITS_MAX_CONNECTIONS must be a number, got "many"'));
    expectOneLineFailure(await refused([], { ORDO_AUTH_ENABLED: 'yes' }),
      lineOf('ordo: ERR_BAD_CONFIG: environment variable ORDO_AUTH_ENABLED must be true, false, 1 or 0, got "yes"'));
    expectOneLineFailure(await refused([], { ORDO_HEARTBEAT_MS: '5' }),
      lineOf('ordo: ERR_BAD_CONFIG: config heartbeatMs must be an integer from 10 to 3600000, got 5 (from ORDO_HEARTBEAT_MS)'));
  });

  it('a misspelt ORDO_<SECTION>_ variable is an error, not ignored', async () => {
    expectOneLineFailure(await refused([], { ORDO_LIMITS_MAX_CONECTIONS: '10' }),
      lineOf('ordo: ERR_BAD_CONFIG: environment variable ORDO_LIMITS_MAX_CONECTIONS is not a setting (did you mean ORDO_LIMITS_MAX_CONNECTIONS?)'));
  });

  it('a bad flag value', async () => {
    expectOneLineFailure(await refused(['--log-level', 'loud']), /^ordo: option '--log-level <level>' argument 'loud' is invalid\. Allowed choices are trace, debug, info, warn, error, fatal, silent\. \(see ordo broker --help\)\n$/);
    expectOneLineFailure(await refused(['--host', '']), lineOf('ordo: ERR_BAD_CONFIG: config host must not be empty (from --host)'));
  });

  it('an open broker on a public address', async () => {
    expectOneLineFailure(await refused(['--host', '0.0.0.0']), /^ordo: ERR_BAD_CONFIG: config host 0\.0\.0\.0 is not a loopback address and authentication is off: .*--auth.*\n$/);
  });
});

describe.concurrent('the machine refuses: one line naming the problem', () => {
  it('the port is in use', async () => {
    const server = await occupiedPort();
    try {
      const { port } = server.address() as { port: number };
      const run = await ordo(['broker', '--host', '127.0.0.1', '--port', String(port), '--data', freshDataDir()]);
      expectOneLineFailure(run, lineOf(`ordo: cannot listen on 127.0.0.1:${port}: the port is in use`));
    } finally {
      server.close();
    }
  });

  it('the data directory is under a file', async () => {
    const file = join(dir, `plain-file-${++files}`);
    await writeFile(file, '');
    const run = await ordo(['broker', '--port', '0', '--data', join(file, 'data')]);
    expectOneLineFailure(run, lineOf(`ordo: data directory ${join(file, 'data')} is not writable: a part of the path is a file, not a directory (ENOTDIR)`));
  });

  it('the data directory is read-only to the broker\'s user', async () => {
    const readOnly = join(dir, `read-only-${++files}`);
    await mkdir(readOnly, { mode: 0o555 });
    await chmod(readOnly, 0o555);
    // root writes anywhere: run the broker as nobody (65534) then.
    const asNobody = process.getuid?.() === 0;
    const run = await runAs(asNobody ? 65534 : undefined, ['broker', '--port', '0', '--data', readOnly]);
    expectOneLineFailure(run, lineOf(`ordo: data directory ${readOnly} is not writable: permission denied (EACCES)`));
  });
});

describe('a broker configured by the environment alone', () => {
  it('listens where ORDO_HOST and ORDO_PORT say, keeps its store in ORDO_DATA_DIR, holds to ORDO_LIMITS_MAX_CONNECTIONS', async () => {
    const data = freshDataDir();
    const proc = startOrdo(['broker'], {
      env: { ORDO_HOST: '127.0.0.1', ORDO_PORT: '0', ORDO_DATA_DIR: data, ORDO_LIMITS_MAX_CONNECTIONS: '1', ORDO_LOG_LEVEL: 'warn' },
    });
    await waitFor(() => /listening on /.test(proc.stdout()) || proc.child.exitCode !== null, { timeoutMs: 20_000 }, 'the broker listens');
    const url = /listening on (ws:\/\/127\.0\.0\.1:\d+)\n/.exec(proc.stdout())?.[1];
    expect(url, proc.stderr()).toBeDefined();
    expect(existsSync(join(data, 'ordo.db'))).toBe(true);
    const first = await connect(url!, { reconnect: false });
    const second = await connect(url!, { reconnect: false }).then((c) => c.close().then(() => 'connected'), (err: unknown) => err);
    expect(isOrdoError(second) && second.code).toBe('ERR_TOO_MANY_CONNECTIONS');
    await first.close();
    proc.child.kill('SIGTERM');
    const run = await proc.exited;
    expect(run.code, run.stderr).toBe(0);
  });
});

/** A pattern that matches exactly `line` and its newline. */
function lineOf(line: string): RegExp {
  return new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n$`);
}

function occupiedPort(): Promise<Server> {
  const server = createServer();
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** `ordo ...args` as the user `uid` (needs root), or as this user when undefined. */
function runAs(uid: number | undefined, args: string[]): Promise<OrdoRun> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ORDO_')));
  const child = spawn(process.execPath, [ORDO_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], ...(uid !== undefined && { uid, gid: uid }) });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
