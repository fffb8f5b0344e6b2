import { readFile } from 'node:fs/promises';
import { connect, isOrdoError, type ClientTlsOptions, type ConnectOptions, type OrdoClient } from '../client/index.js';
import type { ClientFlags } from './options.js';

/** Exit status of a failed command (usage errors exit 1 through commander too). */
export const EXIT_FAILURE = 1;

/**
 * Runs a command body and turns any failure into one line on stderr and a
 * non-zero exit: `ordo: ERR_CODE: message` (a message of several lines, as
 * SQLite's integrity reports, joined into one).
 */
export async function runCommand(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    process.stderr.write(`ordo: ${describeError(err).replace(/\s*\n\s*/g, ' ')}\n`);
    process.exitCode = EXIT_FAILURE;
  }
}

export function describeError(err: unknown): string {
  if (isOrdoError(err)) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Connects with the command's --url, credentials and TLS files; the first attempt fails fast. */
export async function connectFromFlags(flags: ClientFlags, options: ConnectOptions = {}): Promise<OrdoClient> {
  if ((flags.user === undefined) !== (flags.password === undefined)) {
    throw new Error(flags.user === undefined ? '--password needs --user (or ORDO_USER)' : '--user needs --password (or ORDO_PASSWORD)');
  }
  if ((flags.cert === undefined) !== (flags.key === undefined)) throw new Error('--cert and --key go together');
  const tls: ClientTlsOptions = {
    ...(flags.ca !== undefined && { ca: await readPem(flags.ca, '--ca') }),
    ...(flags.cert !== undefined && { cert: await readPem(flags.cert, '--cert') }),
    ...(flags.key !== undefined && { key: await readPem(flags.key, '--key') }),
  };
  return connect(flags.url, {
    token: flags.token, username: flags.user, password: flags.password, tls, connectTimeoutMs: 5000, clientId: 'ordo-cli', ...options,
  });
}

async function readPem(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${flag} file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Connects (without reconnecting), runs `body` with the client, and closes it whatever happened. */
export async function withClient<T>(flags: ClientFlags, body: (client: OrdoClient) => Promise<T>): Promise<T> {
  const client = await connectFromFlags(flags, { reconnect: false });
  try {
    return await body(client);
  } finally {
    await client.close();
  }
}

/** Resolves on SIGINT or SIGTERM, so long-running commands end cleanly. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
