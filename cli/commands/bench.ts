import { Command, Option } from 'commander';
import { QOS_LEVELS, type Qos } from '../../client/index.js';
import { parsePositiveInt } from '../options.js';
import { runCommand } from '../run-command.js';

interface BenchFlags {
  peers?: boolean;
  messages?: number;
  only?: string;
  workloads?: string;
  qos?: Qos;
  burstMs?: number;
  json?: boolean;
  url?: string;
}

function splitList(value: string | undefined): string[] | undefined {
  return value?.split(',').map((s) => s.trim()).filter(Boolean);
}

/** `ordo bench`: the benchmark suite of bench/ (peers side by side when installed). */
export function benchCommand(): Command {
  return new Command('bench')
    .description('measure throughput and latency, verifying every delivery (lost, duplicated, out of order)')
    .option('--peers', 'also run Mosquitto, NATS, RabbitMQ and Redis when installed (default when any is installed)')
    .option('--no-peers', 'run Ordo only')
    .addOption(new Option('--messages <n>', 'messages per throughput run (most per burst for at-least-once)').argParser(parsePositiveInt))
    .addOption(new Option('--only <targets>', 'comma-separated targets: ordo, nats, mosquitto, rabbitmq, redis, or ordering (Ordo\'s causal and total order section; alone: only that section),'
      + ' security or operations (Ordo\'s security and operations sections, run only when named)'))
    .addOption(new Option('--workloads <ids>',
      'comma-separated workloads: throughput-1-1, throughput-1-10, latency, alo-windowed, alo-one-at-a-time, alo-window-100, eo-windowed, trie, store, ordering, security, operations'))
    .addOption(new Option('--qos <guarantee>', 'only the workloads of this guarantee (exactly-once adds its at-least-once baseline)').choices([...QOS_LEVELS]))
    .addOption(new Option('--burst-ms <ms>', 'cap on each measured burst').argParser(parsePositiveInt))
    .addOption(new Option('--url <url>', 'drive the Ordo broker running at URL instead of starting one (its console and /metrics show the'
      + ' traffic; login from ORDO_USER/ORDO_PASSWORD or ORDO_TOKEN): Ordo\'s pub/sub and queue workloads only'))
    .option('--json', 'print results as JSON')
    .addHelpText('after', '\nExamples:\n  $ ordo bench --no-peers --messages 200000\n  $ ordo bench --url ws://127.0.0.1:7700      # traffic for a running broker\'s console\n  $ ordo bench --qos at-least-once --only ordo,redis\n'
      + '  $ ordo bench --qos exactly-once --only ordo,mosquitto,nats\n  $ ordo bench --only ordering\n  $ ordo bench --only operations\n')
    .action((flags: BenchFlags) => runCommand(async () => {
      const { runBench } = await import('../../bench/main.js');
      await runBench({
        peers: flags.peers,
        messages: flags.messages,
        only: splitList(flags.only),
        workloads: splitList(flags.workloads),
        qos: flags.qos,
        burstMs: flags.burstMs,
        json: flags.json,
        url: flags.url,
      });
    }));
}
