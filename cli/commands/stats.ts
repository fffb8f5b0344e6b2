import { Command } from 'commander';
import type { BrokerStats, ConnectionInfo, OrdoClient } from '../../client/index.js';
import { connectionTable } from '../admin-format.js';
import { durationText, jsonLine, table } from '../format.js';
import { durationOption, withClientOptions, type ClientFlags } from '../options.js';
import { amount } from '../progress.js';
import { queueTable, storeLine } from '../queue-format.js';
import { runCommand, untilSignal, withClient } from '../run-command.js';

interface StatsFlags extends ClientFlags {
  watch?: boolean;
  interval: number;
}

/** Home the cursor and clear the screen below it: each frame of --watch replaces the last. */
const REDRAW = '\x1b[H\x1b[J';
/** The cursor hidden while --watch redraws (it would flicker over the frame), and shown again. */
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

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
        else process.stdout.write(await snapshot(client, flags.json));
      });
    }));
}

/**
 * Prints a snapshot every `flags.interval` ms until SIGINT or SIGTERM,
 * which end the command with status 0. A failed request (the broker went
 * away) ends it with that error. On a terminal each frame replaces the
 * last, cut to the terminal's height and width so that it never scrolls.
 */
async function watchStats(client: OrdoClient, flags: StatsFlags): Promise<void> {
  const out = process.stdout;
  const isTerminal = out.isTTY === true && flags.json !== true;
  let isStopped = false;
  const stopped = untilSignal().then(() => { isStopped = true; });
  // Why the connection ended (the broker shut down, ...): a better last word than the next request's ERR_CLOSED.
  let closedBy: Error | undefined;
  client.on('close', ({ error }) => { closedBy = error; });
  if (isTerminal) out.write(HIDE_CURSOR);
  try {
    while (!isStopped) {
      const text = await snapshot(client, flags.json).catch((err: unknown) => { throw closedBy ?? err; });
      if (isStopped) break;
      if (isTerminal) {
        const header = `ordo stats: ${flags.url}, every ${flags.interval} ms, ${new Date().toLocaleTimeString()} (Ctrl-C quits)\n\n`;
        out.write(`${REDRAW}${fitScreen(header + text, out.rows, out.columns)}`);
      } else {
        out.write(flags.json === true ? text : `${text}\n`);
      }
      await pause(flags.interval, stopped);
    }
  } finally {
    // The shell's prompt goes below the last frame, with its cursor back.
    if (isTerminal) out.write(`\n${SHOW_CURSOR}`);
  }
}

/**
 * One snapshot as text: the stats as a JSON line; or the summary, the
 * connections (as `ordo conn ls` shows them, with their rates) and the
 * queues.
 */
async function snapshot(client: OrdoClient, json: boolean | undefined): Promise<string> {
  if (json === true) return `${jsonLine(await client.stats())}\n`;
  const [stats, connections] = await Promise.all([client.stats(), client.admin.connections()]);
  return `${formatStats(stats, connections)}\n`;
}

/**
 * The first `rows - 1` lines of `text`, each cut to `columns` characters
 * (all of it when the size is unknown), so a frame neither wraps nor
 * scrolls on a small terminal.
 */
function fitScreen(text: string, rows: number | undefined, columns: number | undefined): string {
  let lines = text.replace(/\n$/, '').split('\n');
  if (rows !== undefined && rows >= 2 && lines.length >= rows) {
    lines = [...lines.slice(0, rows - 2), `… (${lines.length - rows + 2} more lines)`];
  }
  if (columns !== undefined && columns > 1) lines = lines.map((l) => (l.length < columns ? l : `${l.slice(0, columns - 2)}…`));
  return lines.join('\n');
}

/**
 * Waits `ms`, or less when `stopped` comes first. The timer is not unref'd:
 * it keeps the process alive between two snapshots, so a broker that goes
 * away meanwhile ends the command with the next request's error, not with
 * a silent exit 0 (and a hidden cursor).
 */
function pause(ms: number, stopped: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); });
  return Promise.race([stopped, elapsed]).finally(() => clearTimeout(timer));
}

function formatStats(s: BrokerStats, connections: readonly ConnectionInfo[]): string {
  const summary = table(['', ''], [
    ['server', s.server],
    ['uptime', durationText(s.uptimeMs)],
    ['connections', s.connections],
    ['subscriptions', `${s.subscriptions} (consumers included)`],
    ['messages in', `${s.messagesIn} (${s.rateIn}/s)`],
    ['messages out', `${s.messagesOut} (${s.rateOut}/s)`],
    ['bytes in / out', `${amount(s.bytesIn, 'bytes')} / ${amount(s.bytesOut, 'bytes')}`],
    ['dropped', s.dropped],
    ['store', storeLine(s.store)],
    // On while publishes and sends are refused (ERR_LIMIT) to protect the broker [docs/security.md, section 4].
    ['alarms', [s.memoryAlarm && 'memory high watermark', s.diskAlarm && 'disk low watermark'].filter(Boolean).join(', ') || 'none'],
  ]);
  return `${summary.split('\n').slice(1).join('\n')}\n\n${connectionTable(connections)}\n\n${queueTable(s.queues)}`;
}
