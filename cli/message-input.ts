import { createInterface } from 'node:readline';
import { Option, type Command } from 'commander';
import { OrdoError, type Headers, type OrdoClient } from '../client/index.js';
import { countOption } from './options.js';
import { Pipeline } from './pipeline.js';

/**
 * What `ordo pub` and `ordo send` share: the message comes from the MESSAGE
 * argument (sent --count times) or, without it, from each line of standard
 * input (each sent --count times); --header and --parse-json shape it.
 * Arguments are checked before the command connects.
 */

/** Flags added by {@link withMessageInputOptions}. */
export interface MessageInputFlags {
  count?: number;
  header: string[];
  parseJson?: boolean;
}

/** Adds --count, --header (repeatable) and --parse-json. */
export function withMessageInputOptions(cmd: Command, verb: string): Command {
  return cmd
    .addOption(countOption(`${verb} the message (or each line of standard input) N times (default 1)`))
    .addOption(new Option('--header <key=value>', 'add a header (repeatable)').argParser(collect).default([]))
    .option('--parse-json', `parse the message as JSON and ${verb} the value`);
}

/**
 * The messages to send: MESSAGE --count times or, without MESSAGE, each
 * line of standard input --count times. MESSAGE is checked (--parse-json)
 * here, so a bad one fails before any connection is tried.
 */
export function messageSource(message: string | undefined, flags: MessageInputFlags): AsyncIterable<unknown> {
  const count = flags.count ?? 1;
  if (message !== undefined) {
    const payload = toPayload(message, flags);
    return (async function* repeated() {
      for (let i = 0; i < count; i++) yield payload;
    })();
  }
  return (async function* stdinLines() {
    for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
      const payload = toPayload(line, flags);
      for (let i = 0; i < count; i++) yield payload;
    }
  })();
}

/**
 * Hands each message of `source` to `emit`, in order, and resolves with
 * how many there were once every `emit` promise resolved. Up to `window`
 * run at once (1: strictly one after the other); the first failure stops
 * the input and is thrown.
 */
export async function emitAll(source: AsyncIterable<unknown>, emit: (payload: unknown) => Promise<void>, window = 1): Promise<number> {
  const pipeline = new Pipeline(window);
  let emitted = 0;
  for await (const payload of source) {
    await pipeline.add(emit(payload));
    emitted++;
  }
  await pipeline.drain();
  return emitted;
}

/** The --header key=value pairs as headers, or undefined for none; throws ERR_BAD_REQUEST on a pair without a key. */
export function parseHeaders(pairs: string[]): Headers | undefined {
  if (pairs.length === 0) return undefined;
  const headers: Headers = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new OrdoError('ERR_BAD_REQUEST', `--header expects key=value, got '${pair}'`);
    headers[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return headers;
}

/** At-most-once publishes and sends are refused asynchronously (as an 'error' event): keep the first. */
export function firstError(client: OrdoClient): { check(): void } {
  let error: unknown;
  client.on('error', (err) => { error ??= err; });
  return { check: () => { if (error !== undefined) throw error; } };
}

function toPayload(message: string, flags: MessageInputFlags): unknown {
  if (!flags.parseJson) return message;
  try {
    return JSON.parse(message);
  } catch (err) {
    throw new OrdoError('ERR_BAD_REQUEST', `--parse-json: ${(err as Error).message}`);
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
