import { Command, Option } from 'commander';
import { parsePositiveInt } from '../options.js';
import { runCommand } from '../run-command.js';

interface BenchFlags {
  peers?: boolean;
  messages?: number;
  only?: string;
  workloads?: string;
  json?: boolean;
}

function splitList(value: string | undefined): string[] | undefined {
  return value?.split(',').map((s) => s.trim()).filter(Boolean);
}

/** `ordo bench`: the benchmark suite of bench/ (peers side by side when installed). */
export function benchCommand(): Command {
  return new Command('bench')
    .description('measure throughput and latency, verifying every delivery (lost, duplicated, out of order)')
    .option('--peers', 'also run Mosquitto, NATS and RabbitMQ when installed (default when any is installed)')
    .option('--no-peers', 'run Ordo only')
    .addOption(new Option('--messages <n>', 'messages per throughput run').argParser(parsePositiveInt))
    .addOption(new Option('--only <targets>', 'comma-separated targets, e.g. ordo,nats'))
    .addOption(new Option('--workloads <ids>', 'comma-separated workloads: throughput-1-1, throughput-1-10, latency, trie, store'))
    .option('--json', 'print results as JSON')
    .addHelpText('after', '\nExample:\n  $ ordo bench --no-peers --messages 200000\n')
    .action((flags: BenchFlags) => runCommand(async () => {
      const { runBench } = await import('../../bench/main.js');
      await runBench({
        peers: flags.peers,
        messages: flags.messages,
        only: splitList(flags.only),
        workloads: splitList(flags.workloads),
        json: flags.json,
      });
    }));
}
