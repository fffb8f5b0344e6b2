import { Command, Option } from 'commander';
import type { Message, Order, Qos, Subscription } from '../../client/index.js';
import { MESSAGE_JSON_HELP, messageJson, payloadText } from '../format.js';
import {
  PREFETCH_MAX, PREFETCH_MIN, countOption, integerIn, orderOption, qosOption, withClientOptions, type ClientFlags,
} from '../options.js';
import { Pipeline } from '../pipeline.js';
import { printExactlyOnce } from './consume-exactly-once.js';
import { connectFromFlags, describeError, runCommand, untilSignal } from '../run-command.js';

interface ConsumeFlags extends ClientFlags {
  qos?: Qos;
  order?: Order;
  count?: number;
  prefetch?: number;
  dedup?: string;
}

/** The broker's default prefetch [protocol 2.12], the most a --count consumer asks for. */
const DEFAULT_PREFETCH = 100;

/** `ordo consume`: prints messages of QUEUE, one per line, acking each once printed. */
export function consumeCommand(): Command {
  return withClientOptions(new Command('consume'))
    .description('print messages of QUEUE, one per line (the payload, or JSON with --json), acking each once printed')
    .argument('<queue>', 'queue name')
    .addOption(qosOption().default('at-least-once'))
    .addOption(orderOption('receive'))
    .addOption(countOption('exit after N messages, once their acks are confirmed (the rest stay in the queue)'))
    .addOption(new Option('--prefetch <n>', `most unacked deliveries at once, ${PREFETCH_MIN} to ${PREFETCH_MAX} (default ${DEFAULT_PREFETCH}, at most --count)`)
      .argParser(integerIn(PREFETCH_MIN, PREFETCH_MAX)))
    .addOption(new Option('--dedup <file>', 'exactly-once: SQLite file remembering the messages printed, so none is printed twice across runs (default: this run only)'))
    .addHelpText('after', `\n${MESSAGE_JSON_HELP}\n\nExamples:\n  $ ordo consume jobs --count 1\n  $ ordo consume jobs --json --prefetch 10\n`
      + '  $ ordo consume jobs --json --order total\n  $ ordo consume jobs --qos exactly-once --dedup ./jobs-seen.db\n')
    .action((queue: string, flags: ConsumeFlags) => runCommand(async () => {
      const client = await connectFromFlags(flags, { reconnect: true });
      const closed = new Promise<never>((_, reject) => {
        client.on('close', ({ error }) => { if (error) reject(error); });
      });
      closed.catch(() => { /* raced below; handled here so an early close is not an unhandled rejection */ });
      const acks = new Pipeline();
      const printing = { isStopped: false };
      // A --count consumer asks for no more than it will print, so few messages are delivered only to go back.
      const prefetch = flags.prefetch ?? (flags.count === undefined ? undefined : Math.min(flags.count, DEFAULT_PREFETCH));
      if (flags.qos === 'exactly-once') {
        try {
          await Promise.race([printExactlyOnce(client, { queue }, { ...flags, prefetch }, (msg) => render(msg, flags)), untilSignal(), closed]);
        } finally {
          await client.close();
        }
        return;
      }
      try {
        const consumer = await client.consume(queue, undefined, { qos: flags.qos, order: flags.order, prefetch });
        process.stderr.write(`consuming ${queue}\n`);
        const printed = printMessages(consumer, flags, acks, printing);
        printed.catch(() => { /* raced below; a failure after a signal has nothing left to report */ });
        await Promise.race([printed, untilSignal(), closed, acks.failed]);
        printing.isStopped = true; // what arrives from now on is not printed, so not acked: it goes back to the queue
        await Promise.race([acks.drain(), closed]);
      } finally {
        await client.close();
      }
    }));
}

/** Prints and acks messages until --count of them were printed (or the consumer ends). */
async function printMessages(consumer: Subscription, flags: ConsumeFlags, acks: Pipeline, printing: { isStopped: boolean }): Promise<void> {
  let remaining = flags.count ?? Infinity;
  for await (const msg of consumer) {
    if (printing.isStopped) {
      // Given back explicitly: the SDK acks a message pulled and left alone when the loop ends.
      msg.nack().catch(() => undefined);
      return;
    }
    const line = render(msg, flags);
    if (line === undefined) {
      // Unprintable (an undecodable payload): dead-letter it rather than lose it or see it again forever.
      await acks.add(msg.nack({ requeue: false }));
      continue;
    }
    process.stdout.write(line);
    await acks.add(msg.ack().catch(unlessDisconnected)); // resolves once the broker committed it (a no-op at most once)
    if (--remaining === 0) {
      // Leaving the loop cancels the consumer: every ack must be confirmed first, or the broker refuses it.
      await acks.drain();
      break;
    }
  }
}

/**
 * An ack lost with its connection is no failure: the broker gives the
 * delivery back and the reconnected consumer gets it again (at-least-once: it
 * may be printed twice).
 */
function unlessDisconnected(err: unknown): void {
  if ((err as { code?: unknown }).code !== 'ERR_DISCONNECTED') throw err;
}

function render(msg: Message, flags: ConsumeFlags): string | undefined {
  try {
    return flags.json ? `${messageJson(msg)}\n` : `${payloadText(msg.payload)}\n`;
  } catch (err) {
    process.stderr.write(`ordo: ${describeError(err)}\n`);
    return undefined;
  }
}
