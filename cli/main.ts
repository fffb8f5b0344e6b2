import { Command } from 'commander';
import { brokerCommand } from './commands/broker.js';
import { pubCommand } from './commands/pub.js';
import { subCommand } from './commands/sub.js';
import { statsCommand } from './commands/stats.js';
import { benchCommand } from './commands/bench.js';

/** The `ordo` program: the only place that uses commander. */
export function program(): Command {
  return new Command('ordo')
    .description('Ordo message broker: run a broker, publish, subscribe, inspect, benchmark')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', "\nExamples:\n  $ ordo broker\n  $ ordo sub 'orders/+/created' --count 2\n  $ ordo pub orders/eu/created hello\n")
    .addCommand(brokerCommand())
    .addCommand(pubCommand())
    .addCommand(subCommand())
    .addCommand(statsCommand())
    .addCommand(benchCommand());
}

export async function main(argv: string[]): Promise<void> {
  await program().parseAsync(argv);
}
