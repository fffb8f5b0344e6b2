import { Command } from 'commander';
import type { BrokerStats, OrdoClient } from '../../client/index.js';
import { jsonLine, table } from '../format.js';
import { durationOption, withClientOptions, type ClientFlags } from '../options.js';
import { queueTable, storeLine } from '../queue-format.js';
import { runCommand, untilSignal, withClient } from '../run-command.js';

interface StatsFlags extends ClientFlags {
  watch?: boolean;
  interval: number;
}

/** Home the cursor and clear the screen below it: each frame of --watch replaces the last. */
const REDRAW = '\x1b[H\x1b[J';

/** `ordo stats [--watch]`: the broker's counters, rates, connections and queues, once or live. */
export function statsCommand(): Command {
  return withClientOptions(new Command('stats'))
    .description('show broker statistics: connections, subscriptions, message counts and rates, drops, queues and the store;'
      + ' --watch redraws them every --interval ms until Ctrl-C')
    .option('--watch', 'a live view, redrawn in place on a terminal (one snapshot after another on a pipe; one JSON line each with --json)')
    .addOption(durationOption('--interval <ms>', 'time between two snapshots of --watch').default(1000))
    .addHelpText('after', '\nExamples:\n  $ ordo stats --url ws://127.0.0.1:7700\n  $ ordo stats --watch --interval 500\n')
    .action((flags: StatsFlags) => runCommand(async () => {
      await withClient(flags, async (client) => {
        if (flags.watch === true) await watchStats(client, flags);
        else process.stdout.write(statsText(await client.stats(), flags.json));
      });
    }));
}

/**
 * Prints a snapshot every `flags.interval` ms until SIGINT or SIGTERM,
 * which end the command with status 0. A failed request (the broker went
 * away) ends it with that error.
 */
async function watchStats(client: OrdoClient, flags: StatsFlags): Promise<void> {
  const isTerminal = process.stdout.isTTY === true && flags.json !== true;
  let isStopped = false;
  const stopped = untilSignal().then(() => { isStopped = true; });
  while (!isStopped) {
    const stats = await client.stats();
    if (isStopped) break;
    const text = statsText(stats, flags.json);
    if (isTerminal) {
      const header = `ordo stats: ${flags.url}, every ${flags.interval} ms, ${new Date().toLocaleTimeString()} (Ctrl-C quits)\n\n`;
      process.stdout.write(`${REDRAW}${fitRows(header + text, process.stdout.rows)}`);
    } else {
      process.stdout.write(flags.json === true ? text : `${text}\n`);
    }
    await Promise.race([stopped, sleep(flags.interval)]);
  }
}

/** One snapshot as text: a JSON line, or the summary, connection and queue tables. */
function statsText(stats: BrokerStats, json: boolean | undefined): string {
  return json === true ? `${jsonLine(stats)}\n` : `${formatStats(stats)}\n`;
}

/** The first `rows - 1` lines of `text` (all of it when the height is unknown), so a frame never scrolls. */
function fitRows(text: string, rows: number | undefined): string {
  if (rows === undefined || rows < 2) return text;
  const lines = text.split('\n');
  return lines.length < rows ? text : `${lines.slice(0, rows - 2).join('\n')}\n… (${lines.length - rows + 2} more lines)`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function formatStats(s: BrokerStats): string {
  const summary = table(['', ''], [
    ['server', s.server],
    ['uptime', `${Math.round(s.uptimeMs / 1000)} s`],
    ['connections', s.connections],
    ['subscriptions', s.subscriptions],
    ['messages in', `${s.messagesIn} (${s.rateIn}/s)`],
    ['messages out', `${s.messagesOut} (${s.rateOut}/s)`],
    ['bytes in / out', `${s.bytesIn} / ${s.bytesOut}`],
    ['dropped', s.dropped],
    ['store', storeLine(s.store)],
    // On while publishes and sends are refused (ERR_LIMIT) to protect the broker [docs/security.md, section 4].
    ['alarms', [s.memoryAlarm && 'memory high watermark', s.diskAlarm && 'disk low watermark'].filter(Boolean).join(', ') || 'none'],
  ]);
  const conns = table(
    ['connection', 'client', 'address', 'subs', 'in', 'out', 'dropped', 'buffered'],
    s.connectionList.map((c) => [c.connectionId, c.clientId || '-', c.address, c.subscriptions, c.messagesIn, c.messagesOut, c.dropped, c.bufferedBytes]),
  );
  return `${summary.split('\n').slice(1).join('\n')}\n\n${conns}\n\n${queueTable(s.queues)}`;
}
