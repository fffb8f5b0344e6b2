import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrokerConfig } from '../broker/config/index.js';
import { fileErrorReason as reasonOf } from '../broker/errors/file-errors.js';

/**
 * What `ordo broker` checks and says when the broker cannot start for a
 * reason outside its configuration: a data directory it cannot write, a
 * port it cannot listen on. Each becomes one line naming the problem.
 */


/**
 * Makes the data directory (owner-only, as the broker would) and proves
 * the broker can write there: creates and removes a file, and opens an
 * existing store file for writing. With durability 'memory' only the
 * directory is made (no file is written). Throws one line:
 * `data directory DIR is not writable: permission denied (EACCES)`.
 */
export async function checkDataDir(config: Pick<Readonly<BrokerConfig>, 'dataDir' | 'durability'>): Promise<void> {
  const dir = config.dataDir;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (config.durability === 'memory') return;
    const probe = join(dir, `.ordo-write-check-${process.pid}`);
    await (await open(probe, 'wx')).close();
    await rm(probe);
  } catch (err) {
    throw new Error(`data directory ${dir} is not writable: ${reasonOf(err)}`);
  }
  try {
    await (await open(join(dir, 'ordo.db'), 'r+')).close();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new Error(`data directory ${dir} is not writable: ordo.db: ${reasonOf(err)}`);
  }
}

/** Words for listen()'s errors. */
const LISTEN_REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the port is in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'the address is not one of this machine\'s',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve',
};

/**
 * A failure to listen as one line, `cannot listen on 127.0.0.1:7700: the
 * port is in use`; any other error as it is.
 */
export function describeStartError(err: unknown, host: string, port: number): unknown {
  const e = err as NodeJS.ErrnoException;
  if (e?.syscall !== 'listen' && e?.syscall !== 'getaddrinfo') return err;
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return new Error(`cannot listen on ${where}: ${LISTEN_REASONS[e.code ?? ''] ?? reasonOf(err)}`);
}
