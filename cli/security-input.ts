import { InvalidArgumentError } from 'commander';

/**
 * Input of the security commands (`ordo user`, `ordo acl`, `ordo token`):
 * new passwords, durations, repeatable flags. Nothing here prints a
 * password.
 */

/** Longest line read from stdin as a password: the broker takes at most 1024 characters, so more is a mistake. */
const MAX_PASSWORD_LINE = 4096;

/**
 * The new password of `ordo user add` and `ordo user passwd`: `given`
 * (--password, or ORDO_NEW_PASSWORD through commander), else the first line
 * of stdin when stdin is not a terminal (`pass show ordo/bob | ordo user add
 * bob`). Never prompted for on a terminal: there is no way to read without
 * echoing it that works everywhere the CLI runs.
 */
export async function newPassword(given: string | undefined): Promise<string> {
  if (given !== undefined && given !== '') return given;
  const fromStdin = process.stdin.isTTY ? '' : await firstLine(process.stdin);
  if (fromStdin === '') throw new Error('no password given: use --password, ORDO_NEW_PASSWORD, or one line on stdin');
  return fromStdin;
}

async function firstLine(stream: NodeJS.ReadStream): Promise<string> {
  stream.setEncoding('utf8');
  let text = '';
  for await (const chunk of stream as AsyncIterable<string>) {
    text += chunk;
    if (text.includes('\n') || text.length > MAX_PASSWORD_LINE) break;
  }
  const end = text.indexOf('\n');
  return (end === -1 ? text : text.slice(0, end)).replace(/\r$/, '');
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration flag's value in ms: `30s`, `15m`, `1h`, `7d`, `500ms`, or a plain number of milliseconds. */
export function parseDuration(value: string): number {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(value.trim());
  const ms = match === null ? NaN : Number(match[1]) * UNIT_MS[match[2] ?? 'ms'];
  if (!Number.isSafeInteger(ms) || ms < 1) {
    throw new InvalidArgumentError('expected a duration such as 30s, 15m, 1h, 7d, or a number of milliseconds');
  }
  return ms;
}

/** Collects a repeatable flag (`--role a --role b`) into a list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** An ACL rule's subject: `user:NAME` or `role:NAME` (the broker checks the name itself). */
export function parseSubject(value: string): string {
  if (!/^(user|role):./.test(value)) throw new InvalidArgumentError('expected user:NAME or role:NAME');
  return value;
}
