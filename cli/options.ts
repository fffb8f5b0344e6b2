import { InvalidArgumentError, Option, type Command } from 'commander';
import { ORDERS, type Qos } from '../client/index.js';

/** Default broker URL of every client command. */
export const DEFAULT_URL = 'ws://127.0.0.1:7700';

/** Options every client command takes. */
export interface ClientFlags {
  url: string;
  token?: string;
  user?: string;
  password?: string;
  ca?: string;
  cert?: string;
  key?: string;
  json?: boolean;
}

/** A login flag that a command uses for something else (see withClientOptions). */
export type OwnFlag = 'user' | 'password';

/**
 * Adds --url, the credentials, the TLS files and --json to a client command.
 * `ownFlags`: login flags the command uses for something else (`ordo user add
 * NAME --password P`, `ordo token create --user U`); the login then goes by
 * --login-user / --login-password (flags.loginUser, flags.loginPassword),
 * with the same environment variables.
 */
export function withClientOptions(cmd: Command, ownFlags: readonly OwnFlag[] = []): Command {
  const login = (flag: OwnFlag): string => (ownFlags.includes(flag) ? `--login-${flag}` : `--${flag}`);
  return cmd
    .addOption(new Option('--url <url>', 'broker URL (ws:// or wss://)').env('ORDO_URL').default(DEFAULT_URL))
    .addOption(new Option('--token <token>', 'bearer token (ordo token create)').env('ORDO_TOKEN'))
    .addOption(new Option(`${login('user')} <name>`, `user name to log in as, with ${login('password')}`).env('ORDO_USER'))
    .addOption(new Option(`${login('password')} <password>`, `password of ${login('user')} (prefer the environment variable: flags show in ps)`).env('ORDO_PASSWORD'))
    .addOption(new Option('--ca <file>', 'wss://: PEM file of the CA that signed the broker\'s certificate').env('ORDO_CA'))
    .addOption(new Option('--cert <file>', 'wss://: PEM client certificate, with --key').env('ORDO_CERT'))
    .addOption(new Option('--key <file>', 'wss://: PEM private key of --cert').env('ORDO_KEY'))
    .option('--json', 'machine-readable output: one JSON object per line');
}

const QOS_ALIASES: Record<string, Qos> = {
  '0': 'at-most-once', '1': 'at-least-once', '2': 'exactly-once',
  'at-most-once': 'at-most-once', 'at-least-once': 'at-least-once', 'exactly-once': 'exactly-once',
};

/** --qos 0|1|2|at-most-once|at-least-once|exactly-once */
export function qosOption(): Option {
  return new Option('--qos <qos>', 'delivery guarantee: 0|1|2 or at-most-once|at-least-once|exactly-once')
    .argParser((value: string): Qos => {
      const qos = QOS_ALIASES[value];
      if (qos === undefined) throw new InvalidArgumentError('expected 0, 1, 2, at-most-once, at-least-once or exactly-once');
      return qos;
    });
}

/** What --order means to a command that publishes or sends, and to one that receives [semantics 2]. */
const ORDER_HELP = {
  emit: 'ordering guarantee of the messages: fifo (default); causal: ordered receivers handle each after the messages'
    + ' sent before it (by this command, or by anyone before it connected); total: as causal, and in one order that every'
    + ' ordered receiver of its scope shares',
  receive: 'ordering guarantee of what is printed: fifo (default) prints messages as they come; causal or total holds'
    + ' a causal or total message back until what it depends on (for total, also what precedes it in its scope) was printed',
} as const;

/**
 * --order fifo|causal|total, for a command that emits (pub, send) or
 * receives (sub, consume). choices() checks the value itself (an argParser()
 * after it would replace that check), so the flag holds an Order.
 */
export function orderOption(role: keyof typeof ORDER_HELP): Option {
  return new Option('--order <order>', ORDER_HELP[role]).choices(ORDERS);
}

/** --count N: a positive integer. */
export function countOption(description: string): Option {
  return new Option('--count <n>', description).argParser(parsePositiveInt);
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** A parser of an integer from `min` to `max` (both included). */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = value.trim() === '' ? NaN : Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

/** A duration flag in whole milliseconds: at least 1 ms, or at least 0 when `allowZero` (e.g. a delay). */
export function durationOption(flags: string, description: string, { allowZero = false } = {}): Option {
  const min = allowZero ? 0 : 1;
  return new Option(flags, description).argParser((value: string): number => {
    const n = value.trim() === '' ? NaN : Number(value);
    if (!Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected a whole number of milliseconds, ${min} or more`);
    }
    return n;
  });
}

/** Highest message priority of a queue (0 is the lowest and the default). */
export const MAX_PRIORITY = 9;

/** Bounds of a consumer's prefetch, as the broker checks them [protocol 2.12]. */
export const PREFETCH_MIN = 1;
export const PREFETCH_MAX = 10_000;

export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return n;
}
