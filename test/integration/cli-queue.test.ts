import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, isOrdoError, type OrdoClient, type QueueInfo } from '../../client/index.js';
import { spawnBrokerProcess, type BrokerProcess } from '../helpers/broker.js';
import {
  deadUrl, expectOneLineFailure, jsonLines, killLeftoverOrdos, lines, ordo, ordoOk, startOrdo, waitForStderr,
} from '../helpers/ordo-cli.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * The queue commands of `ordo` (queue ls|create|rm|purge|peek, send,
 * consume, and the queues in stats), run as child processes against one
 * broker child process. Every test uses its own queues, so they do not
 * depend on each other's order.
 */

const DIST_MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** Tests that run several `ordo` processes one after the other: each takes a few seconds on a loaded machine. */
const SEQUENTIAL = { timeout: 60_000 };

let broker: BrokerProcess;
let url: string;
/** An SDK client of the broker, to set up and check what the CLI is not under test for (no process to start). */
let sdk: OrdoClient;

beforeAll(async () => {
  if (!existsSync(DIST_MAIN)) throw new Error('dist/ is missing: run `npm run build` before these tests');
  broker = await spawnBrokerProcess();
  url = broker.url;
  sdk = await connect(url, { reconnect: false });
});

afterAll(async () => {
  killLeftoverOrdos();
  await sdk?.close();
  await broker?.stop();
});

/** One queue's counts as the broker reports them, or undefined when there is no such queue. */
async function queueInfo(name: string): Promise<QueueInfo | undefined> {
  try {
    return await sdk.queueInfo(name);
  } catch (err) {
    if (isOrdoError(err) && err.code === 'ERR_NOT_FOUND') return undefined;
    throw err;
  }
}

async function createQueue(name: string, ...flags: string[]): Promise<void> {
  await ordoOk(['queue', 'create', name, ...flags, '--url', url]);
}

/** Creates `name` and puts `count` copies of `payload` in it, through the SDK. */
async function filledQueue(name: string, count: number, payload = 'x'): Promise<void> {
  await sdk.createQueue(name);
  await Promise.all(Array.from({ length: count }, () => sdk.send(name, payload)));
}

describe('a queue from creation to deletion', SEQUENTIAL, () => {
  it('send --count and stdin lines, ls shows the depth, peek does not consume, consume --count 3 leaves 2', async () => {
    await createQueue('life');
    expect(await ordoOk(['send', 'life', 'one', '--count', '3', '--url', url])).toBe('');
    const sent = await ordoOk(['send', 'life', '--json', '--url', url], { input: 'four\nfive\n' });
    expect(JSON.parse(sent)).toEqual({ queue: 'life', sent: 2 });

    const listed = jsonLines<QueueInfo>(await ordoOk(['queue', 'ls', '--json', '--url', url]));
    expect(listed.find((q) => q.name === 'life')).toMatchObject({ ready: 5, delayed: 0, unacked: 0, total: 5, consumers: 0 });
    expect(listed.map((q) => q.name)).toContain('life.dlq');
    const table = await ordoOk(['queue', 'ls', '--url', url]);
    expect(lines(table)[0]).toMatch(/^queue\s+ready\s+delayed\s+unacked\s+total\s+consumers\s+in\/s\s+out\/s\s+oldest\s+dlq$/);
    expect(table).toMatch(/^life\s+5\s+0\s+0\s+5\s+0\s/m);

    const peeked = await ordoOk(['queue', 'peek', 'life', '--count', '4', '--url', url]);
    expect(lines(peeked)).toHaveLength(1 + 4);
    expect(lines(peeked).slice(1).map((l) => l.split(/\s+/).at(-1))).toEqual(['one', 'one', 'one', 'four']);
    expect((await queueInfo('life'))?.total).toBe(5);

    const consumed = await ordo(['consume', 'life', '--count', '3', '--url', url]);
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(lines(consumed.stdout)).toEqual(['one', 'one', 'one']);
    // Exit comes after the acks were confirmed: the three are gone at once, not eventually.
    expect((await queueInfo('life'))?.total).toBe(2);
    // Deliveries past --count (if any) return to the queue once the consumer's connection is gone.
    await waitFor(async () => (await queueInfo('life'))?.ready === 2, { timeoutMs: 20_000 }, 'life has 2 ready');

    const rest = await ordo(['consume', 'life', '--count', '2', '--json', '--url', url]);
    expect(rest.code, rest.stderr).toBe(0);
    const messages = jsonLines(rest.stdout);
    expect(messages.map((m) => m.payload)).toEqual(['four', 'five']);
    for (const m of messages) {
      expect(m).toHaveProperty('id');
      expect(typeof m.deliveries).toBe('number');
      expect(typeof m.redelivered).toBe('boolean');
    }
    expect(await queueInfo('life')).toMatchObject({ total: 0 });
  });

  it('purge prints how many went and empties the queue', async () => {
    await filledQueue('purged', 4);
    expect(await ordoOk(['queue', 'purge', 'purged', '--url', url])).toBe('purged 4 messages from purged\n');
    expect(await queueInfo('purged')).toMatchObject({ ready: 0, total: 0 });
    expect(JSON.parse(await ordoOk(['queue', 'purge', 'purged', '--json', '--url', url]))).toEqual({ queue: 'purged', purged: 0, remaining: 0 });
  });

  it('rm prints how many messages went and the queue is gone', async () => {
    await filledQueue('removed', 2);
    expect(await ordoOk(['queue', 'rm', 'removed', '--url', url])).toBe('deleted queue removed and 2 messages\n');
    expect(await queueInfo('removed')).toBeUndefined();
    expectOneLineFailure(await ordo(['queue', 'peek', 'removed', '--url', url]), /^ordo: ERR_NOT_FOUND\b/);
    expectOneLineFailure(await ordo(['queue', 'rm', 'removed', '--url', url]), /^ordo: ERR_NOT_FOUND\b/);
  });
});

describe('queue create', SEQUENTIAL, () => {
  it('prints the created queue with the settings given', async () => {
    const out = await ordoOk(['queue', 'create', 'made', '--max-length', '100', '--ack-deadline', '60000', '--url', url]);
    expect(out).toMatch(/^queue\s+made$/m);
    expect(out).toMatch(/^total\s+0$/m);
    expect(out).toMatch(/^settings\s+.*\bmaxLength=100\b/m);
    expect(out).toMatch(/^settings\s+.*\backDeadlineMs=60000\b/m);
  });

  it('--json prints the queue info; every flag reaches the broker', async () => {
    const out = await ordoOk([
      'queue', 'create', 'made-json', '--json', '--max-length', '7', '--overflow', 'drop-oldest', '--ttl', '5000',
      '--max-deliveries', '3', '--dead-letter', 'none', '--ack-deadline', '1000', '--url', url,
    ]);
    const info = JSON.parse(out) as QueueInfo;
    expect(info).toMatchObject({ name: 'made-json', total: 0, consumers: 0 });
    expect(info.settings).toEqual({
      maxLength: 7, overflow: 'drop-oldest', messageTtlMs: 5000, maxDeliveries: 3, deadLetterQueue: null, ackDeadlineMs: 1000,
    });
  });

  it('the same name with other settings is a conflict; the broker names a setting out of range', async () => {
    await createQueue('clash', '--max-length', '10');
    expectOneLineFailure(await ordo(['queue', 'create', 'clash', '--max-length', '20', '--url', url]), /^ordo: ERR_CONFLICT\b/);
    expectOneLineFailure(
      await ordo(['queue', 'create', 'too-long', '--max-length', '999999999999', '--url', url]),
      /^ordo: ERR_BAD_REQUEST\b.*maxLength/,
    );
  });
});

describe('send and consume', SEQUENTIAL, () => {
  it('a priority-9 message sent last is consumed (and peeked) first', async () => {
    await sdk.createQueue('prio');
    await ordoOk(['send', 'prio', 'low-1', '--url', url]);
    await ordoOk(['send', 'prio', 'low-2', '--priority', '0', '--url', url]);
    await ordoOk(['send', 'prio', 'urgent', '--priority', '9', '--url', url]);
    const peeked = jsonLines(await ordoOk(['queue', 'peek', 'prio', '--json', '--url', url]));
    expect(peeked.map((m) => [m.payload, m.priority])).toEqual([['urgent', 9], ['low-1', 0], ['low-2', 0]]);
    const run = await ordo(['consume', 'prio', '--count', '3', '--url', url]);
    expect(run.code, run.stderr).toBe(0);
    expect(lines(run.stdout)).toEqual(['urgent', 'low-1', 'low-2']);
  });

  it('headers, JSON payloads, --delay and --ttl reach the broker', async () => {
    await sdk.createQueue('shaped');
    await ordoOk(['send', 'shaped', '{"n":1}', '--parse-json', '--header', 'k=v', '--header', 'trace=a=b', '--ttl', '600000', '--url', url]);
    await ordoOk(['send', 'shaped', 'later', '--delay', '600000', '--url', url]);
    expect(await queueInfo('shaped')).toMatchObject({ ready: 1, delayed: 1, total: 2 });
    const [peeked] = jsonLines(await ordoOk(['queue', 'peek', 'shaped', '--json', '--url', url]));
    expect(peeked).toMatchObject({ payload: { n: 1 }, headers: { k: 'v', trace: 'a=b' }, priority: 0, deliveries: 0 });
    expect(peeked.expiresAt).toBeGreaterThan(peeked.timestamp as number);

    const run = await ordo(['consume', 'shaped', '--count', '1', '--json', '--url', url]);
    expect(run.code, run.stderr).toBe(0);
    const [msg] = jsonLines(run.stdout);
    expect(msg).toMatchObject({ payload: { n: 1 }, headers: { k: 'v', trace: 'a=b' }, deliveries: 1, redelivered: false });
    expect(msg.id).toBe(peeked.id);
    expect(await queueInfo('shaped')).toMatchObject({ ready: 0, delayed: 1, total: 1 });
  });

  it('sends many (--count 2000) and every one is stored before exit', async () => {
    await sdk.createQueue('many');
    expect(JSON.parse(await ordoOk(['send', 'many', 'x', '--count', '2000', '--json', '--url', url]))).toEqual({ queue: 'many', sent: 2000 });
    expect((await queueInfo('many'))?.total).toBe(2000);
  });

  it('consume waits for messages sent after it started, and prints each as it comes', async () => {
    await sdk.createQueue('live');
    const consumer = startOrdo(['consume', 'live', '--count', '2', '--url', url]);
    await waitForStderr(consumer, 'consuming live');
    await ordoOk(['send', 'live', 'first', '--url', url]);
    await waitFor(() => consumer.stdout() === 'first\n', { timeoutMs: 20_000 }, 'the consumer prints the first message');
    await ordoOk(['send', 'live', 'second', '--url', url]);
    const run = await consumer.exited;
    expect(run.code, run.stderr).toBe(0);
    expect(lines(run.stdout)).toEqual(['first', 'second']);
    expect((await queueInfo('live'))?.total).toBe(0);
  });

  it('consume without --count runs until SIGINT, and what it printed is acked', async () => {
    await sdk.createQueue('until-signal');
    const consumer = startOrdo(['consume', 'until-signal', '--url', url]);
    await waitForStderr(consumer, 'consuming until-signal');
    await Promise.all([sdk.send('until-signal', 'a'), sdk.send('until-signal', 'a')]);
    await waitFor(() => consumer.stdout() === 'a\na\n', { timeoutMs: 20_000 }, 'the consumer prints both');
    consumer.child.kill('SIGINT');
    const run = await consumer.exited;
    expect(run.code, run.stderr).toBe(0);
    expect((await queueInfo('until-signal'))?.total).toBe(0);
  });
});

describe('ordering: send --order and consume --order', SEQUENTIAL, () => {
  type Printed = { payload: unknown; seq: number; order?: { dep: number; scope?: string } };

  it('send --order total, causal and fifo; consume --json --order total prints order {dep, scope}, {dep}, none', async () => {
    await sdk.createQueue('jobs');
    await ordoOk(['send', 'jobs', 'x', '--order', 'total', '--url', url]);
    await ordoOk(['send', 'jobs', 'y', '--order', 'causal', '--url', url]);
    await ordoOk(['send', 'jobs', 'z', '--url', url]);
    const printed = jsonLines<Printed>(await ordoOk(['consume', 'jobs', '--json', '--order', 'total', '--count', '3', '--url', url]));
    // Found by payload: an ordered consumer hands a fifo message over at once, possibly before ordered ones it holds back.
    const [total, causal, fifo] = ['x', 'y', 'z'].map((p) => printed.find((m) => m.payload === p)!);
    expect(printed).toHaveLength(3);
    expect(total).toMatchObject({ payload: 'x', order: { scope: 'default' } });
    expect(total.order!.dep).toBeLessThan(total.seq);
    // Sent by a later command: the earlier message's id was given out before it connected.
    expect(causal).toMatchObject({ payload: 'y', order: { dep: total.seq } });
    expect(causal.order).not.toHaveProperty('scope');
    expect(fifo.payload).toBe('z');
    expect(fifo).not.toHaveProperty('order');
    expect((await queueInfo('jobs'))?.total).toBe(0);
  });

  it('a stdin stream sent with --order causal: each message depends on the one before (its confirmed id)', async () => {
    await sdk.createQueue('causal-lines');
    await ordoOk(['send', 'causal-lines', '--order', 'causal', '--url', url], { input: 'a\nb\nc\n' });
    const printed = jsonLines<Printed>(await ordoOk(['consume', 'causal-lines', '--json', '--order', 'causal', '--count', '3', '--url', url]));
    expect(printed.map((m) => m.payload)).toEqual(['a', 'b', 'c']);
    for (let i = 1; i < printed.length; i++) {
      expect(printed[i].order!.dep).toBeGreaterThanOrEqual(printed[i - 1].seq);
      expect(printed[i].order!.dep).toBeLessThan(printed[i].seq);
    }
  });

  it('consume --order total --qos exactly-once prints the metadata too', async () => {
    await sdk.createQueue('ordered-eo');
    await ordoOk(['send', 'ordered-eo', 'once', '--order', 'total', '--qos', '2', '--url', url]);
    const [msg] = jsonLines<Printed>(await ordoOk(['consume', 'ordered-eo', '--json', '--order', 'total', '--qos', '2', '--count', '1', '--url', url]));
    expect(msg).toMatchObject({ payload: 'once', order: { scope: 'default' } });
  });
});

describe('exactly-once from the command line', SEQUENTIAL, () => {
  it('send --qos 2, then consume --qos exactly-once --dedup in two runs prints each message once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ordo-cli-dedup-'));
    try {
      const dedup = join(dir, 'seen.db');
      await ordoOk(['send', 'eo-cli', '--qos', '2', '--url', url], { input: 'one\ntwo\nthree\n' });
      const first = await ordoOk(['consume', 'eo-cli', '--qos', 'exactly-once', '--count', '2', '--dedup', dedup, '--url', url]);
      const second = await ordoOk(['consume', 'eo-cli', '--qos', '2', '--count', '1', '--dedup', dedup, '--url', url]);
      expect([...lines(first), ...lines(second)]).toEqual(['one', 'two', 'three']);
      expect((await sdk.queueInfo('eo-cli')).total).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('pub --qos exactly-once reaches a durable sub --qos exactly-once', async () => {
    const sub = startOrdo(['sub', 'eo-cli/#', '--qos', '2', '--durable', 'eo-cli-d', '--count', '2', '--url', url]);
    await waitForStderr(sub, 'exactly once');
    await ordoOk(['pub', 'eo-cli/a', 'first', '--qos', 'exactly-once', '--url', url]);
    await ordoOk(['pub', 'eo-cli/b', 'second', '--qos', '2', '--url', url]);
    const run = await sub.exited;
    expect(run.code).toBe(0);
    expect(lines(run.stdout)).toEqual(['eo-cli/a first', 'eo-cli/b second']);
  });
});

describe('ordo stats shows the queues and the store', SEQUENTIAL, () => {
  it('--json has stats().queues and stats().store; the text has a queue table and a store line', async () => {
    await filledQueue('counted', 3);
    const stats = JSON.parse(await ordoOk(['stats', '--json', '--url', url])) as { queues: QueueInfo[]; store: Record<string, unknown> };
    expect(stats.queues.find((q) => q.name === 'counted')).toMatchObject({ ready: 3, total: 3 });
    expect(stats.store).toMatchObject({ durability: 'fsync' });
    expect(stats.store.commits as number).toBeGreaterThan(0);
    expect(stats.store.messages as number).toBeGreaterThanOrEqual(3);

    const text = await ordoOk(['stats', '--url', url]);
    expect(text).toMatch(/^store\s+fsync, [1-9]\d* commits \([1-9]\d* fsynced\), [1-9]\d* messages, [\d.]+ messages per fsync$/m);
    expect(text).toMatch(/^queue\s+ready\s+delayed\s+unacked\s+total\s+consumers\s+in\/s\s+out\/s\s+oldest\s+dlq$/m);
    expect(text).toMatch(/^counted\s+3\s+0\s+0\s+3\s+0\s/m);
    expect(text).toMatch(/^alarms\s+none$/m);
    expect(stats).toMatchObject({ memoryAlarm: false, diskAlarm: false });
  });
});

describe.concurrent('errors: one line on stderr starting with ordo:, exit 1', () => {
  it.each([
    [['send', 'q', 'x', '--priority', '10'], /--priority.*0 to 9/],
    [['send', 'q', 'x', '--priority', '-1'], /--priority.*0 to 9/],
    [['send', 'q', 'x', '--ttl', '-5'], /--ttl/],
    [['send', 'q', 'x', '--delay', '1.5'], /--delay/],
    [['send', 'q', 'x', '--header', 'novalue'], /ERR_BAD_REQUEST.*--header/],
    [['send', 'q', '{oops', '--parse-json'], /ERR_BAD_REQUEST.*--parse-json/],
    [['consume', 'q', '--prefetch', '0'], /--prefetch.*1 to 10000/],
    [['consume', 'q', '--prefetch', '10001'], /--prefetch.*1 to 10000/],
    [['queue', 'peek', 'q', '--count', '-2'], /--count/],
    [['queue', 'create', 'q', '--max-length', '0'], /--max-length/],
    [['queue', 'create', 'q', '--overflow', 'drop-newest'], /--overflow/],
    [['queue', 'create', 'q', '--ack-deadline', '-1'], /--ack-deadline/],
    [['queue', 'create', 'q', '--max-deliveries', '2.5'], /--max-deliveries/],
    [['queue', 'rm'], /missing required argument/],
    [['queue', 'bogus'], /unknown command 'bogus'/],
    [['consume', 'q', '--bogus'], /unknown option '--bogus'/],
  ])('ordo %j is refused before connecting', async (args, reason) => {
    // Nothing listens at this URL: reaching it would fail with ERR_UNREACHABLE instead.
    const run = await ordo([...args, '--url', await deadUrl()]);
    expectOneLineFailure(run, /^ordo: /);
    expect(run.stderr).toMatch(reason);
  });

  it.each([
    [['queue', 'ls']],
    [['send', 'q', 'x']],
    [['consume', 'q']],
  ])('unreachable broker: ordo %j', async (args) => {
    expectOneLineFailure(await ordo([...args, '--url', await deadUrl()]), /^ordo: ERR_UNREACHABLE\b/);
  });

  it('purge and peek of a queue that does not exist', async () => {
    expectOneLineFailure(await ordo(['queue', 'purge', 'never-made', '--url', url]), /^ordo: ERR_NOT_FOUND\b/);
    expectOneLineFailure(await ordo(['queue', 'peek', 'never-made', '--url', url]), /^ordo: ERR_NOT_FOUND\b/);
  });
});

describe('a broker that does not create queues on first use', SEQUENTIAL, () => {
  let strict: BrokerProcess;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ordo-cli-queue-'));
    const config = join(dir, 'ordo.json');
    await writeFile(config, JSON.stringify({ queues: { autoCreate: false } }));
    strict = await spawnBrokerProcess(['--config', config]);
  });
  afterAll(async () => {
    await strict?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    [['send', 'missing', 'x']],
    [['send', 'missing', 'x', '--qos', 'at-most-once']],
    [['consume', 'missing', '--count', '1']],
  ])('ordo %j fails with ERR_NOT_FOUND', async (args) => {
    expectOneLineFailure(await ordo([...args, '--url', strict.url]), /^ordo: ERR_NOT_FOUND: /);
  });

  it('a created queue works', async () => {
    await ordoOk(['queue', 'create', 'present', '--url', strict.url]);
    await ordoOk(['send', 'present', 'x', '--url', strict.url]);
    expect(lines(await ordoOk(['consume', 'present', '--count', '1', '--url', strict.url]))).toEqual(['x']);
  });
});

describe.concurrent('--help', () => {
  it.each([
    ['queue'], ['queue create'], ['queue peek'], ['send'], ['consume'],
  ])('ordo %s --help exits 0 and shows an example', async (command) => {
    const run = await ordo([...command.split(' '), '--help']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Usage: ordo ${command}`);
    expect(run.stdout).toMatch(new RegExp(`Examples?:\\n\\s+\\$ .*ordo ${command}\\b`));
  });

  it('ordo --help lists queue, send and consume', async () => {
    const run = await ordo(['--help']);
    expect(run.code, run.stderr).toBe(0);
    for (const command of ['queue', 'send', 'consume']) expect(run.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
  });
});
