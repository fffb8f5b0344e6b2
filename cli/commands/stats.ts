import { Command } from 'commander';
import type { BrokerStats } from '../../client/index.js';
import { table } from '../format.js';
import { queueTable, storeLine } from '../queue-format.js';
import { withClientOptions, type ClientFlags } from '../options.js';
import { connectFromFlags, runCommand } from '../run-command.js';

/** `ordo stats`: the broker's counters, rates and connections. */
export function statsCommand(): Command {
  return withClientOptions(new Command('stats'))
    .description('show broker statistics: connections, subscriptions, message counts and rates, drops, queues and the store')
    .addHelpText('after', '\nExample:\n  $ ordo stats --url ws://127.0.0.1:7700\n')
    .action((flags: ClientFlags) => runCommand(async () => {
      const client = await connectFromFlags(flags, { reconnect: false });
      try {
        const stats = await client.stats();
        process.stdout.write(flags.json ? `${JSON.stringify(stats)}\n` : `${formatStats(stats)}\n`);
      } finally {
        await client.close();
      }
    }));
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
