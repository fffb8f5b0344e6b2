/** The few flags of `npm run bench` (`node dist/bench/main.js`), parsed by hand. */
import type { BenchOptions } from './main.js';
import type { Qos } from './workloads/spec.js';

/** Usage text printed by `--help` and after a bad flag. */
export const USAGE = `usage: npm run bench -- [options]
  --peers              also run Mosquitto, NATS, RabbitMQ and Redis (default: when any is installed)
  --no-peers           Ordo only
  --only a,b           only these targets (ordo, nats, mosquitto, rabbitmq, redis), or ordering:
                       Ordo's ordering section (--only ordering: that section alone), or security:
                       Ordo's security section (auth, ACL, TLS, logins; runs only when named), or
                       operations: Ordo's operations section (/metrics, stats and admin reads on a
                       loaded broker, the cost of scraping and of connection logs; only when named)
  --workloads a,b      only these workloads (throughput-1-1, throughput-1-10, latency,
                       alo-windowed, alo-one-at-a-time, alo-window-100, eo-windowed, trie, store,
                       ordering, security, operations); eo-windowed brings its baseline alo-window-100
  --qos G              only the workloads of guarantee G (at-most-once, at-least-once, exactly-once);
                       with ordering or security selected, only its rows of G (and no metadata
                       or login runs); the operations section ignores it
  --messages N         messages per publisher (throughput), samples (latency), most per burst
                       (confirmed; ordering: per publisher)
  --burst-ms MS        cap on each measured burst (throughput, confirmed, ordering)
  --timeout MS         bound on each workload run (default 20000; 30000 for alo-windowed;
                       45000 for each guarantee of ordering)
  --url URL            drive the Ordo broker running at URL (ws:// or wss://; login from ORDO_USER
                       and ORDO_PASSWORD, or ORDO_TOKEN) instead of starting one: its console and
                       /metrics show the traffic; Ordo's pub/sub and queue workloads only
  --json               print the results as JSON instead of a table`;

/** A flag the harness does not know, or a bad value. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parses `argv` (without node and the script); throws {@link UsageError} on anything unknown. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions & { help?: boolean } {
  const options: BenchOptions & { help?: boolean } = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--peers':
        options.peers = true;
        break;
      case '--no-peers':
        options.peers = false;
        break;
      case '--only':
        options.only = splitList(value());
        break;
      case '--workloads':
        options.workloads = splitList(value());
        break;
      case '--qos':
        options.qos = value() as Qos; // checked against the known guarantees with the workloads
        break;
      case '--burst-ms':
        options.burstMs = positiveInteger(flag, value());
        break;
      case '--messages':
        options.messages = positiveInteger(flag, value());
        break;
      case '--timeout':
        options.timeoutMs = positiveInteger(flag, value());
        break;
      case '--url':
        options.url = value();
        break;
      case '--json':
        options.json = true;
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      default:
        throw new UsageError(`unknown option ${flag}`);
    }
  }
  return options;
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function positiveInteger(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} needs a positive integer, got ${text}`);
  return n;
}
