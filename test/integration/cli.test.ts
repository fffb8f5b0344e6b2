import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { ORDO_BIN, spawnBrokerProcess, type BrokerProcess } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * The real `ordo` command (bin/ordo.js → dist/, so `npm run build` first)
 * against a broker child process. Covers the must-show: a
 * subscriber with --count 2 and two publishes print two lines and exit 0.
 */

const DIST_MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running `ordo` process with its output so far. */
interface OrdoProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<Run>;
}

/**
 * Cleanups run once the whole file is done: tests in the concurrent blocks
 * share the file, so a per-test cleanup would end another test's processes.
 */
const leftovers: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of leftovers.splice(0).reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
});

/** Starts `node bin/ordo.js ...args`; `input` is written to stdin, which is then closed. */
function startOrdo(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): OrdoProcess {
  const child = spawn(process.execPath, [ORDO_BIN, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    // No ORDO_URL / ORDO_TOKEN from the developer's shell unless a test sets them.
    env: { ...withoutOrdoEnv(process.env), ...opts.env },
  });
  leftovers.push(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  else child.stdin!.end();
  const exited = new Promise<Run>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs `ordo ...args` to completion. */
function ordo(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return startOrdo(args, opts).exited;
}

function withoutOrdoEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !k.startsWith('ORDO_')) out[k] = v;
  return out;
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l.length > 0);

/** A `sub` that has told us it is subscribed (so nothing published after can be missed). */
async function subscribed(args: string[]): Promise<OrdoProcess> {
  const sub = startOrdo(['sub', ...args]);
  const pattern = args[0];
  await waitFor(
    () => sub.stderr().includes(`subscribed to ${pattern}`) || sub.child.exitCode !== null,
    { timeoutMs: 10_000 },
    `ordo sub ${pattern} says it is subscribed`,
  );
  expect(sub.stderr()).toContain(`subscribed to ${pattern}\n`);
  return sub;
}

/** A URL where nothing listens: a port that was free a moment ago. */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `ws://127.0.0.1:${port}`;
}

/** Exactly one line on stderr, nothing on stdout, a non-zero exit. */
function expectOneLineFailure(run: Run, pattern: RegExp): void {
  expect(run.code, `stderr: ${run.stderr}`).not.toBe(0);
  expect(run.code).not.toBeNull();
  expect(run.stdout).toBe('');
  expect(lines(run.stderr), run.stderr).toHaveLength(1);
  expect(run.stderr).toMatch(pattern);
}

let broker: BrokerProcess;

beforeAll(async () => {
  if (!existsSync(DIST_MAIN)) throw new Error('dist/ is missing: run `npm run build` before these tests');
  broker = await spawnBrokerProcess();
});

afterAll(async () => {
  await broker?.stop();
});

describe('ordo sub and ordo pub (the must-show)', () => {
  it("`ordo sub 'a/+/c' --count 2` prints the two matching publishes and exits 0", async () => {
    const sub = await subscribed(['a/+/c', '--count', '2', '--url', broker.url]);
    const miss = await ordo(['pub', 'a/b/d', 'not for you', '--url', broker.url]);
    expect(miss.code, miss.stderr).toBe(0);
    for (let i = 0; i < 2; i++) {
      const pub = await ordo(['pub', 'a/b/c', 'hi', '--url', broker.url]);
      expect(pub.code, pub.stderr).toBe(0);
      expect(pub.stderr).toBe('');
    }
    const run = await sub.exited;
    expect(run.code, run.stderr).toBe(0);
    expect(lines(run.stdout)).toEqual(['a/b/c hi', 'a/b/c hi']);
  });

  it('`ordo sub --json` prints one JSON object per line with topic, payload and seq', async () => {
    const sub = await subscribed(['json/#', '--count', '2', '--json', '--url', broker.url]);
    await ordo(['pub', 'json/text', 'hello there', '--url', broker.url]);
    await ordo(['pub', 'json/obj', '{"n":1,"tags":["x"]}', '--parse-json', '--url', broker.url]);
    const run = await sub.exited;
    expect(run.code, run.stderr).toBe(0);
    const objects = lines(run.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objects).toHaveLength(2);
    expect(objects[0]).toMatchObject({ topic: 'json/text', payload: 'hello there' });
    expect(objects[1]).toMatchObject({ topic: 'json/obj', payload: { n: 1, tags: ['x'] } });
    for (const o of objects) expect(typeof o.seq).toBe('number');
    expect(objects[1].seq as number).toBeGreaterThan(objects[0].seq as number);
  });

  it('`ordo pub TOPIC` without MESSAGE publishes each line of stdin, in order', async () => {
    const sub = await subscribed(['lines/in', '--count', '3', '--url', broker.url]);
    const pub = await ordo(['pub', 'lines/in', '--json', '--url', broker.url], { input: 'one\ntwo words\nthree\n' });
    expect(pub.code, pub.stderr).toBe(0);
    expect(JSON.parse(pub.stdout)).toEqual({ topic: 'lines/in', published: 3 });
    const run = await sub.exited;
    expect(run.code, run.stderr).toBe(0);
    expect(lines(run.stdout)).toEqual(['lines/in one', 'lines/in two words', 'lines/in three']);
  });

  it('`ordo pub --count N` publishes the message N times', async () => {
    const sub = await subscribed(['many', '--count', '3', '--url', broker.url]);
    expect((await ordo(['pub', 'many', 'x', '--count', '3', '--url', broker.url])).code).toBe(0);
    expect(lines((await sub.exited).stdout)).toEqual(['many x', 'many x', 'many x']);
  });

  it('takes the broker URL from ORDO_URL when --url is absent', async () => {
    const env = { ORDO_URL: broker.url };
    const sub = startOrdo(['sub', 'env/url', '--count', '1'], { env });
    await waitFor(() => sub.stderr().includes('subscribed to env/url'), { timeoutMs: 10_000 });
    expect((await ordo(['pub', 'env/url', 'via env'], { env })).code).toBe(0);
    const run = await sub.exited;
    expect(run.code, run.stderr).toBe(0);
    expect(lines(run.stdout)).toEqual(['env/url via env']);
  });
});

describe('ordering from the command line: --order and the metadata --json prints', () => {
  type Printed = { topic: string; payload: unknown; seq: number; order?: { dep: number; scope?: string } };

  it('pub --order causal, total and fifo reach sub --json --order causal: order {dep}, {dep, scope}, none', async () => {
    const sub = await subscribed(['ordered/+', '--count', '3', '--json', '--order', 'causal', '--url', broker.url]);
    for (const [topic, order] of [['ordered/causal', 'causal'], ['ordered/total', 'total'], ['ordered/fifo', 'fifo']]) {
      const pub = await ordo(['pub', topic, order, '--order', order, '--url', broker.url]);
      expect(pub.code, pub.stderr).toBe(0);
    }
    const run = await sub.exited;
    expect(run.code, run.stderr).toBe(0);
    const [causal, total, fifo] = lines(run.stdout).map((l) => JSON.parse(l) as Printed);
    expect([causal.topic, total.topic, fifo.topic]).toEqual(['ordered/causal', 'ordered/total', 'ordered/fifo']);
    expect(causal.order).toEqual({ dep: expect.any(Number) });
    // dep is below the message's own id: nothing waits for a successor.
    expect(causal.order!.dep).toBeLessThan(causal.seq);
    // A later publisher has the earlier message in its past (the broker gave its id out before it connected).
    expect(total.order).toEqual({ dep: expect.any(Number), scope: 'default' });
    expect(total.order!.dep).toBeGreaterThanOrEqual(causal.seq);
    expect(total.order!.dep).toBeLessThan(total.seq);
    expect(total.seq).toBeGreaterThan(causal.seq);
    expect(fifo).not.toHaveProperty('order');
    expect(fifo.seq).toBeGreaterThan(total.seq);
  });

  it('sub --json --order total prints order.scope default; a fifo sub still prints what the message carries', async () => {
    const ordered = await subscribed(['scoped/x', '--count', '1', '--json', '--order', 'total', '--url', broker.url]);
    const plain = await subscribed(['scoped/x', '--count', '1', '--json', '--url', broker.url]);
    expect((await ordo(['pub', 'scoped/x', 'one', '--order', 'total', '--qos', '1', '--url', broker.url])).code).toBe(0);
    for (const proc of [ordered, plain]) {
      const run = await proc.exited;
      expect(run.code, run.stderr).toBe(0);
      const [msg] = lines(run.stdout).map((l) => JSON.parse(l) as Printed);
      expect(msg).toMatchObject({ topic: 'scoped/x', payload: 'one', order: { scope: 'default' } });
      expect(msg.order!.dep).toBeLessThan(msg.seq);
    }
  });

  it('a broker --config with ordering.scopes {orders: "orders/#"}: orders/eu is in scope orders, others in default', async () => {
    const dir = await tempDir();
    const file = join(dir, 'ordo.json');
    await writeFile(file, JSON.stringify({ ordering: { scopes: { orders: 'orders/#' } } }));
    const own = await spawnBrokerProcess(['--config', file]);
    leftovers.push(() => own.stop());
    const sub = await subscribed(['#', '--count', '3', '--json', '--order', 'total', '--url', own.url]);
    for (const topic of ['orders/eu', 'invoices/eu', 'orders']) {
      expect((await ordo(['pub', topic, 'x', '--order', 'total', '--url', own.url])).code).toBe(0);
    }
    const run = await sub.exited;
    expect(run.code, run.stderr).toBe(0);
    const scopes = lines(run.stdout).map((l) => JSON.parse(l) as Printed).map((m) => [m.topic, m.order?.scope]);
    // 'orders/#' matches its parent level too [protocol 3.2].
    expect(scopes).toEqual([['orders/eu', 'orders'], ['invoices/eu', 'default'], ['orders', 'orders']]);
  });
});

describe('ordo stats', () => {
  let own: BrokerProcess;
  beforeAll(async () => { own = await spawnBrokerProcess(); });
  afterAll(async () => { await own?.stop(); });

  it('--json reports connections and the messages counted in', async () => {
    for (let i = 0; i < 2; i++) expect((await ordo(['pub', 'stats/x', 'm', '--url', own.url])).code).toBe(0);
    let stats: Record<string, unknown> = {};
    // The publishers' connections close as they exit; poll until the broker has forgotten them.
    await waitFor(async () => {
      const run = await ordo(['stats', '--json', '--url', own.url]);
      expect(run.code, run.stderr).toBe(0);
      stats = JSON.parse(run.stdout) as Record<string, unknown>;
      return stats.connections === 1;
    }, { timeoutMs: 10_000 }, 'stats shows only its own connection');
    expect(stats).toMatchObject({ connections: 1, messagesIn: 2, subscriptions: 0 });
    expect((stats.connectionList as { clientId: string }[]).map((c) => c.clientId)).toEqual(['ordo-cli']);
  });

  it('prints a readable summary with the same counts', async () => {
    const run = await ordo(['stats', '--url', own.url]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^connections\s+1$/m);
    expect(run.stdout).toMatch(/^messages in\s+2\b/m);
    expect(run.stdout).toMatch(/^server\s+ordo\//m);
  });
});

describe.concurrent('errors: one line on stderr, non-zero exit', () => {
  it.each([
    [['sub', 'x']],
    [['pub', 'x', 'y']],
    [['stats']],
  ])('unreachable broker: ordo %j', async (args) => {
    const run = await ordo([...args, '--url', await deadUrl()]);
    expectOneLineFailure(run, /^ordo: ERR_UNREACHABLE\b/);
  });

  it("a bad pattern: ordo sub 'a/#/b'", async () => {
    expectOneLineFailure(await ordo(['sub', 'a/#/b', '--url', broker.url]), /^ordo: ERR_BAD_PATTERN\b.*a\/#\/b/);
  });

  it('a bad pattern or topic is reported before any connection is tried', async () => {
    const url = await deadUrl();
    expectOneLineFailure(await ordo(['sub', 'a/#/b', '--url', url]), /^ordo: ERR_BAD_PATTERN\b/);
    expectOneLineFailure(await ordo(['pub', 'a/+/c', 'x', '--url', url]), /^ordo: ERR_BAD_TOPIC\b/);
  });

  it('a bad topic: ordo pub a/+/c', async () => {
    expectOneLineFailure(await ordo(['pub', 'a/+/c', 'x', '--url', broker.url]), /^ordo: ERR_BAD_TOPIC\b/);
  });

  it('a topic the broker refuses: ordo pub $sys/x', async () => {
    expectOneLineFailure(await ordo(['pub', '$sys/x', 'x', '--url', broker.url]), /^ordo: ERR_FORBIDDEN\b/);
  });

  it.each([
    [['sub', 'a', '--qos', '7'], /qos/],
    [['pub', 'a', 'b', '--count', '0'], /count/],
    [['sub', 'a', '--bogus'], /unknown option '--bogus'/],
    [['sub'], /missing required argument/],
  ])('a bad flag or argument: ordo %j', async (args, reason) => {
    const run = await ordo([...args, '--url', broker.url]);
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(reason);
  });

  it.each([
    [['pub', 'a', 'b', '--order', 'sideways']],
    [['sub', 'a', '--order', 'sideways']],
    [['send', 'q', 'b', '--order', 'random']],
    [['consume', 'q', '--order', 'FIFO']],
  ])('a bad --order: ordo %j fails with one line naming the flag and the choices, before connecting', async (args) => {
    const run = await ordo([...args, '--url', await deadUrl()]);
    expectOneLineFailure(run, /^ordo: option '--order <order>' argument '\w+' is invalid\. Allowed choices are fifo, causal, total\. \(see ordo \w+ --help\)\n$/);
  });

  it('ordo broker --port 99999 fails with one line naming the port', async () => {
    const run = await ordo(['broker', '--port', '99999', '--data', await tempDir()]);
    expectOneLineFailure(run, /port/);
  });

  it('ordo broker --config FILE fails with one line naming the bad field', async () => {
    const dir = await tempDir();
    const file = join(dir, 'ordo.json');
    await writeFile(file, JSON.stringify({ port: 'x' }));
    expectOneLineFailure(await ordo(['broker', '--config', file, '--data', dir]), /^ordo: ERR_BAD_CONFIG\b.*\bport\b/);
    await writeFile(file, JSON.stringify({ limits: { maxFrame: 1 } }));
    expectOneLineFailure(await ordo(['broker', '--config', file, '--data', dir]), /^ordo: ERR_BAD_CONFIG\b.*limits\.maxFrame\b/);
    await writeFile(file, JSON.stringify({ ordering: { scopes: { default: 'a/#' } } }));
    expectOneLineFailure(await ordo(['broker', '--config', file, '--data', dir]), /^ordo: ERR_BAD_CONFIG\b.*ordering\.scopes\.default\b/);
    await writeFile(file, '{ not json');
    expectOneLineFailure(await ordo(['broker', '--config', file, '--data', dir]), /^ordo: ERR_BAD_CONFIG\b.*JSON/);
  });

  it('ordo broker on a port already in use fails with one line', async () => {
    const run = await ordo(['broker', '--port', String(broker.port), '--data', await tempDir()]);
    expectOneLineFailure(run, /^ordo: .*listen/);
  });
});

describe.concurrent('--help', () => {
  it.each([['pub'], ['sub'], ['send'], ['consume']])('ordo %s --help describes --order and shows an example with --order total', async (command) => {
    const run = await ordo([command, '--help']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/--order <order>\s+ordering guarantee[^]*fifo[^]*causal[^]*total/);
    expect(run.stdout).toMatch(new RegExp(`^\\s+\\$ .*ordo ${command}\\b.*--order total`, 'm'));
  });

  it.each([['sub'], ['consume']])('ordo %s --help says what --json prints, ordering metadata included', async (command) => {
    const run = await ordo([command, '--help']);
    expect(run.stdout).toMatch(/With --json[^]*\bseq\b[^]*order: \{dep\} or \{dep, scope\}/);
  });

  it.each([['broker'], ['pub'], ['sub'], ['stats'], ['bench']])('ordo %s --help exits 0 and shows an example', async (command) => {
    const run = await ordo([command, '--help']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Usage: ordo ${command}`);
    expect(run.stdout).toMatch(new RegExp(`Examples?:\\n\\s+\\$ .*ordo ${command}\\b`));
  });

  it('ordo --help exits 0, lists every command and shows an example', async () => {
    const run = await ordo(['--help']);
    expect(run.code, run.stderr).toBe(0);
    for (const command of ['broker', 'pub', 'sub', 'stats', 'bench']) expect(run.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    expect(run.stdout).toMatch(/Examples?:\n\s+\$ ordo /);
  });
});

describe('ordo broker', () => {
  it.each([['SIGTERM'], ['SIGINT']] as const)('exits 0 on %s, with a client connected', async (signal) => {
    const own = await spawnBrokerProcess();
    leftovers.push(() => own.stop());
    const sub = await subscribed(['going/away', '--url', own.url]);
    own.child.kill(signal);
    const code = await new Promise<number | null>((resolve) => {
      if (own.child.exitCode !== null) resolve(own.child.exitCode);
      else own.child.once('exit', (c) => resolve(c));
    });
    expect(code, own.stderr()).toBe(0);
    expect(own.stderr()).toContain(`${signal}: shutting down`);
    // The subscriber (which reconnects) is still running: stop it the way a user would.
    sub.child.kill('SIGINT');
    const run = await sub.exited;
    expect(run.code, run.stderr).toBe(0);
  });
});

describe('what the commands rely on', () => {
  it('client.close() leaves no timer behind, so a command exits as soon as it is done', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const client = await connect(broker.url, { reconnect: false });
    await client.publish('timers/x', 1);
    await client.close();
    expect(timers()).toBe(before);
  });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ordo-cli-test-'));
  leftovers.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
