import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connect, type ConnectionInfo, type OrdoClient, type QueueInfo, type SubscriptionInfo, type TopicInfo,
} from '../../client/index.js';
import { makeTempDir, ORDO_BIN, spawnBrokerProcess, startTestBroker, type TestBroker } from '../helpers/broker.js';
import {
  expectOneLineFailure, jsonLines, killLeftoverOrdos, lines, ordo, ordoOk, startOrdo, type OrdoRun,
} from '../helpers/ordo-cli.js';
import { runInTerminal } from '../helpers/terminal.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * The operator commands of `ordo` (queue info|purge|move|redrive, topic,
 * conn, subscription, stats --watch, backup, restore), run as child
 * processes against a broker with authentication on: the CLI logs in as the
 * built-in admin (ORDO_USER / ORDO_PASSWORD), and a user without the admin
 * role is refused. Every test uses its own queues, topics and clients.
 */

const DIST_MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const SEQUENTIAL = { timeout: 60_000 };
const ADMIN_PASSWORD = 'admin-password-1';
const ADMIN = { ORDO_USER: 'admin', ORDO_PASSWORD: ADMIN_PASSWORD };
const BOB = { ORDO_USER: 'bob', ORDO_PASSWORD: 'bob-password-1' };

let broker: TestBroker;
let url: string;
/** The admin as an SDK client: sets up and checks what the CLI is not under test for. */
let sdk: OrdoClient;
/** Directories to remove after the file. */
const dirs: string[] = [];

beforeAll(async () => {
  if (!existsSync(DIST_MAIN)) throw new Error('dist/ is missing: run `npm run build` before these tests');
  broker = await startTestBroker({ auth: { enabled: true }, adminPassword: ADMIN_PASSWORD });
  url = broker.url;
  sdk = await connect(url, { reconnect: false, username: 'admin', password: ADMIN_PASSWORD });
  await sdk.users.add(BOB.ORDO_USER, BOB.ORDO_PASSWORD, { roles: [] });
});

afterAll(async () => {
  killLeftoverOrdos();
  await sdk?.close();
  await broker?.cleanup();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** `ordo ...args --url URL` logged in as admin, expected to succeed: its stdout. */
const asAdmin = (...args: string[]): Promise<string> => ordoOk([...args, '--url', url], { env: ADMIN });
/** `ordo ...args --url URL` logged in as admin: how it ended. */
const runAsAdmin = (...args: string[]): Promise<OrdoRun> => ordo([...args, '--url', url], { env: ADMIN });

async function tempDir(): Promise<string> {
  const dir = await makeTempDir('ordo-cli-admin-');
  dirs.push(dir);
  return dir;
}

/** Creates queue `name` and sends it `payloads`, in order. */
async function filledQueue(name: string, payloads: readonly string[]): Promise<void> {
  await sdk.createQueue(name);
  for (const p of payloads) await sdk.send(name, p);
}

/** Creates queue `name` and sends it `count` copies of one payload, all at once. */
async function bulkQueue(name: string, count: number): Promise<void> {
  await sdk.createQueue(name);
  await Promise.all(Array.from({ length: count }, () => sdk.send(name, 'x')));
}

async function payloadsOf(queue: string): Promise<unknown[]> {
  return (await sdk.peekQueue(queue, 1000)).map((m) => m.payload);
}

/** The row of `name` in a table's text, split into cells. */
function row(text: string, name: string): string[] {
  const found = lines(text).find((l) => l.split(/\s{2,}/)[0] === name);
  expect(found, `a row ${name} in:\n${text}`).toBeDefined();
  return found!.split(/\s{2,}/);
}

describe('ordo queue info, purge, move and redrive', SEQUENTIAL, () => {
  it('info shows the counts, the oldest waiting message and the dead letters; --json is the SDK\'s QueueInfo', async () => {
    await filledQueue('info-q', ['a', 'b']);
    const text = await asAdmin('queue', 'info', 'info-q');
    expect(text).toMatch(/^ready\s+2$/m);
    expect(text).toMatch(/^oldest waiting\s+\d+\.\ds$/m);
    expect(text).toMatch(/^dead letters\s+0 in info-q\.dlq$/m);
    const json = JSON.parse(await asAdmin('queue', 'info', 'info-q', '--json')) as QueueInfo;
    expect(json).toMatchObject({ name: 'info-q', ready: 2, deadLetterQueue: 'info-q.dlq', deadLetters: 0 });
    expect(json.oldestAgeMs).toBeGreaterThanOrEqual(0);
    expect(await asAdmin('queue', 'info', 'info-q.dlq')).toMatch(/^dead-letter queue of\s+info-q$/m);

    const listed = await asAdmin('queue', 'ls');
    expect(lines(listed)[0]).toMatch(/\boldest\s+dlq$/);
    expect(row(listed, 'info-q').slice(-1)).toEqual(['0']);
    // Figures are right-aligned under their heading: the count of info-q ends where "ready" ends.
    const header = lines(listed)[0];
    const infoLine = lines(listed).find((l) => l.startsWith('info-q '))!;
    const readyEnd = header.indexOf('ready') + 'ready'.length;
    expect(infoLine.slice(0, readyEnd)).toMatch(/ 2$/);
    expectOneLineFailure(await runAsAdmin('queue', 'info', 'no-such-queue'), /^ordo: ERR_NOT_FOUND: /);
  });

  it('purge works through a large queue in chunks of 10,000; --max stops early and says what is left', async () => {
    await bulkQueue('big', 12_500);
    expect(JSON.parse(await asAdmin('queue', 'purge', 'big', '--max', '11000', '--json'))).toEqual({ queue: 'big', purged: 11_000, remaining: 1500 });
    expect((await sdk.queueInfo('big')).ready).toBe(1500);
    expect(await asAdmin('queue', 'purge', 'big')).toBe('purged 1,500 messages from big\n');
    expect((await sdk.queueInfo('big')).ready).toBe(0);
    expectOneLineFailure(await runAsAdmin('queue', 'purge', 'big', '--max', '0'), /^ordo: .*--max.*positive integer/);
  });

  it('move keeps the order; redrive puts the dead letters back where they came from, in order', async () => {
    const payloads = ['m1', 'm2', 'm3', 'm4', 'm5'];
    await filledQueue('mover', payloads);
    expect(await asAdmin('queue', 'move', 'mover', 'mover.dlq')).toBe('moved 5 messages from mover to mover.dlq\n');
    expect(await payloadsOf('mover.dlq')).toEqual(payloads);
    expect(row(await asAdmin('queue', 'ls'), 'mover').slice(-1)).toEqual(['5']);

    expect(JSON.parse(await asAdmin('queue', 'redrive', 'mover.dlq', '--max', '2', '--json')))
      .toEqual({ queue: 'mover.dlq', to: 'mover', moved: 2, remaining: 3 });
    expect(await asAdmin('queue', 'redrive', 'mover.dlq')).toBe('moved 3 dead letters from mover.dlq back to mover\n');
    expect(await payloadsOf('mover')).toEqual(payloads);
    expect((await sdk.queueInfo('mover.dlq')).ready).toBe(0);

    expectOneLineFailure(await runAsAdmin('queue', 'redrive', 'mover'), /^ordo: ERR_BAD_REQUEST: mover is no queue's dead-letter queue: ordo queue move mover QUEUE/);
    expectOneLineFailure(await runAsAdmin('queue', 'move', 'mover', 'nowhere'), /^ordo: ERR_NOT_FOUND: /);
  });

  it('draws a progress bar on a terminal, and none on a pipe', async () => {
    await bulkQueue('barred', 300);
    const terminal = await runInTerminal([process.execPath, ORDO_BIN, 'queue', 'purge', 'barred', '--url', url], ADMIN);
    expect(terminal.code, terminal.output).toBe(0);
    expect(terminal.output).toMatch(/\r\x1b\[Kpurging barred \[#+\]\s+100%\s+300\/300/);
    expect(terminal.output).toContain('purged 300 messages from barred');
    await bulkQueue('piped', 3);
    const piped = await runAsAdmin('queue', 'purge', 'piped');
    expect(piped.stderr).toBe('');
  });
});

describe('ordo topic', SEQUENTIAL, () => {
  it('ls shows retained and stored topics (--prefix filters); clear-retained clears once', async () => {
    await sdk.publish('cli-admin/kitchen/temp', '21.5', { retain: true, qos: 'at-least-once' });
    await sdk.publish('cli-admin/hall/temp', '19', { qos: 'at-least-once' });
    const topics = jsonLines<TopicInfo>(await asAdmin('topic', 'ls', '--prefix', 'cli-admin/', '--json'));
    expect(topics.map((t) => t.topic)).toEqual(['cli-admin/hall/temp', 'cli-admin/kitchen/temp']);
    expect(topics[1]).toMatchObject({ retained: true, subscribers: 0 });
    const text = await asAdmin('topic', 'ls', '--prefix', 'cli-admin/');
    expect(lines(text)[0]).toMatch(/^topic\s+subscribers\s+retained\s+stored\s+last seq$/);
    expect(row(text, 'cli-admin/kitchen/temp').slice(1, 3)).toEqual(['0', 'yes']);

    expect(await asAdmin('topic', 'clear-retained', 'cli-admin/kitchen/temp')).toBe('cleared the retained message of cli-admin/kitchen/temp\n');
    expect(JSON.parse(await asAdmin('topic', 'clear-retained', 'cli-admin/kitchen/temp', '--json')))
      .toEqual({ topic: 'cli-admin/kitchen/temp', cleared: false });
    expectOneLineFailure(await runAsAdmin('topic', 'clear-retained'), /^ordo: missing required argument 'topic'/);
    // A pattern is no topic: it holds no retained message, and saying "none there" would mislead.
    expectOneLineFailure(await runAsAdmin('topic', 'clear-retained', 'cli-admin/+/temp'), /^ordo: ERR_BAD_TOPIC: .*wildcard/);
  });
});

describe('ordo conn', SEQUENTIAL, () => {
  it('ls lists connections with their client id and user; kick closes one, a second kick is ERR_NOT_FOUND', async () => {
    const victim = await connect(url, { reconnect: false, username: 'admin', password: ADMIN_PASSWORD, clientId: 'cli-admin-victim' });
    const closed = new Promise<void>((resolve) => victim.once('close', () => resolve()));
    const conns = jsonLines<ConnectionInfo>(await asAdmin('conn', 'ls', '--json'));
    const mine = conns.find((c) => c.clientId === 'cli-admin-victim');
    expect(mine).toMatchObject({ user: 'admin', protocolVersion: expect.any(Number) as number });
    expect(conns.some((c) => c.clientId === 'ordo-cli')).toBe(true);
    const text = await asAdmin('conn', 'ls');
    expect(lines(text)[0]).toMatch(/^connection\s+client\s+user\s+address\s+proto\s+age\s+subs\s+consumers\s+in\s+out\s+in\/s\s+out\/s\s+dropped\s+buffered$/);
    expect(row(text, mine!.connectionId).slice(1, 3)).toEqual(['cli-admin-victim', 'admin']);

    expect(await asAdmin('conn', 'kick', mine!.connectionId)).toBe(`kicked connection ${mine!.connectionId}\n`);
    await closed;
    const after = jsonLines<ConnectionInfo>(await asAdmin('conn', 'ls', '--json'));
    expect(after.some((c) => c.connectionId === mine!.connectionId)).toBe(false);
    expectOneLineFailure(await runAsAdmin('conn', 'kick', mine!.connectionId), /^ordo: ERR_NOT_FOUND: /);
  });
});

describe('ordo subscription (subs)', SEQUENTIAL, () => {
  it('ls shows a live subscription and an away durable one; rm deletes the durable one with its messages', async () => {
    const live = await connect(url, { reconnect: false, username: 'admin', password: ADMIN_PASSWORD, clientId: 'cli-admin-live' });
    await live.subscribe('cli-admin/live/#', () => undefined);
    const auditor = await connect(url, { reconnect: false, username: 'admin', password: ADMIN_PASSWORD, clientId: 'cli-admin-auditor' });
    await auditor.subscribe('cli-admin/audit/#', () => undefined, { durable: 'audit' });
    await auditor.close();
    await sdk.publish('cli-admin/audit/x', 'kept', { qos: 'at-least-once' });

    const subs = jsonLines<SubscriptionInfo>(await asAdmin('subscription', 'ls', '--json'));
    expect(subs.find((s) => s.pattern === 'cli-admin/live/#')).toMatchObject({ clientId: 'cli-admin-live', qos: 'at-most-once' });
    const durable = subs.find((s) => s.durable === 'audit');
    expect(durable).toBeDefined();
    expect(durable!.connectionId).toBeUndefined();
    await waitFor(async () => (await sdk.queueInfo(durable!.queue!)).ready === 1, { timeoutMs: 10_000 }, 'the durable queue holds the message');
    const text = await asAdmin('subs', 'ls');
    expect(row(text, 'cli-admin/audit/#')[3]).toBe('(away)');

    expect(await asAdmin('subs', 'rm', durable!.queue!)).toBe(`deleted the subscription of ${durable!.queue!} and 1 message\n`);
    const after = jsonLines<SubscriptionInfo>(await asAdmin('subs', 'ls', '--json'));
    expect(after.some((s) => s.durable === 'audit')).toBe(false);
    expectOneLineFailure(await runAsAdmin('subs', 'rm', durable!.queue!), /^ordo: ERR_NOT_FOUND: /);
    // A queue of its own backs no subscription: it is deleted as a queue, not here.
    await sdk.createQueue('cli-admin-plain');
    expectOneLineFailure(await runAsAdmin('subs', 'rm', 'cli-admin-plain'), /^ordo: ERR_BAD_REQUEST: queue cli-admin-plain backs no subscription: .*ordo queue rm/);
    expect((await sdk.queueInfo('cli-admin-plain')).name).toBe('cli-admin-plain');
    await live.close();
  });
});

describe('ordo stats --watch', SEQUENTIAL, () => {
  it('prints a snapshot every --interval ms until SIGINT, then exits 0; --json one line each', async () => {
    const watch = startOrdo(['stats', '--watch', '--interval', '100', '--json', '--url', url], { env: ADMIN });
    await waitFor(() => lines(watch.stdout()).length >= 3, { timeoutMs: 20_000 }, 'three snapshots');
    watch.child.kill('SIGINT');
    const run = await watch.exited;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const snapshots = jsonLines<{ connections: number; queues: QueueInfo[] }>(run.stdout);
    expect(snapshots.length).toBeGreaterThanOrEqual(3);
    for (const s of snapshots) expect(s.connections).toBeGreaterThanOrEqual(1);
  });

  it('ends with status 0 on SIGTERM too', async () => {
    const watch = startOrdo(['stats', '--watch', '--interval', '100', '--json', '--url', url], { env: ADMIN });
    await waitFor(() => lines(watch.stdout()).length >= 1, { timeoutMs: 20_000 }, 'a first snapshot');
    watch.child.kill('SIGTERM');
    const run = await watch.exited;
    expect(run, run.stderr).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(jsonLines<{ connections: number }>(run.stdout)[0].connections).toBeGreaterThanOrEqual(1);
  });

  it('refuses an --interval that is not a whole number of ms, 1 or more, in one line', async () => {
    for (const interval of ['0', '-5', '1.5', 'soon']) {
      expectOneLineFailure(await runAsAdmin('stats', '--watch', '--interval', interval), /^ordo: option '--interval <ms>' argument '.*' is invalid\. expected a whole number of milliseconds, 1 or more \(see ordo stats --help\)\n$/);
    }
  });

  it('ends with the reason, status 1, when its broker shuts down between two snapshots', async () => {
    const own = await startTestBroker();
    try {
      const watch = startOrdo(['stats', '--watch', '--interval', '300', '--json', '--url', own.url]);
      await waitFor(() => lines(watch.stdout()).length >= 1, { timeoutMs: 20_000 }, 'a first snapshot');
      await own.close();
      const run = await watch.exited;
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toBe('ordo: ERR_SHUTTING_DOWN: the broker is shutting down\n');
    } finally {
      await own.cleanup();
    }
  });

  it('redraws in place on a terminal', async () => {
    const terminal = await runInTerminal(
      [process.execPath, ORDO_BIN, 'stats', '--watch', '--interval', '100', '--url', url], ADMIN, { until: (out) => (out.match(/\x1b\[H\x1b\[J/g) ?? []).length >= 2 },
    );
    expect(terminal.code, terminal.output).toBe(0);
    expect(terminal.output).toMatch(/\x1b\[H\x1b\[Jordo stats: ws:\/\/.*every 100 ms.*\(Ctrl-C quits\)/);
    expect(terminal.output).toMatch(/^connections\s+\d+/m);
    // The connections as `ordo conn ls` shows them, with their rates.
    expect(terminal.output).toMatch(/^connection\s+client\s+user\s+address\s+proto\s+age\s+subs\s+consumers\s+in\s+out\s+in\/s\s+out\/s/m);
    // The cursor is hidden while frames are drawn, and shown again at the end.
    expect(terminal.output.indexOf('\x1b[?25l')).toBeGreaterThanOrEqual(0);
    expect(terminal.output.lastIndexOf('\x1b[?25h')).toBeGreaterThan(terminal.output.lastIndexOf('\x1b[H\x1b[J'));
  });

  it('a user who is not an administrator is refused (ERR_FORBIDDEN) by every admin command', async () => {
    for (const args of [['conn', 'ls'], ['topic', 'ls'], ['subs', 'ls'], ['backup', join(await tempDir(), 'b.db')]]) {
      expectOneLineFailure(await ordo([...args, '--url', url], { env: BOB }), /^ordo: ERR_FORBIDDEN: /);
    }
  });
});

describe('ordo backup and restore', SEQUENTIAL, () => {
  it('backs the running broker up to a file that restores into a new data dir with the messages', async () => {
    await filledQueue('saved', ['s1', 's2', 's3']);
    const dir = await tempDir();
    const file = join(dir, 'ordo-backup.db');
    const out = JSON.parse(await asAdmin('backup', file, '--json')) as { file: string; bytes: number };
    expect(out.file).toBe(file);
    const bytes = await readFile(file);
    expect(bytes.length).toBe(out.bytes);
    expect(bytes.subarray(0, 16).toString('latin1')).toBe('SQLite format 3\0');
    expect(existsSync(`${file}.partial`)).toBe(false);

    // Refuses to overwrite without --force, and leaves the file as it was.
    expectOneLineFailure(await runAsAdmin('backup', file), /^ordo: ERR_CONFLICT: .*exists: pass --force/);
    expect((await readFile(file)).equals(bytes)).toBe(true);
    expect(await asAdmin('backup', file, '--force')).toMatch(/^wrote .* bytes\) to /);
    // A directory that is not there: one line naming FILE, nothing left behind.
    const nowhere = join(dir, 'no-such-dir', 'b.db');
    expectOneLineFailure(await runAsAdmin('backup', nowhere), /^ordo: ERR_BAD_REQUEST: cannot write .*no-such-dir\/b\.db: no such file or directory \(ENOENT\)\n$/);

    const data = join(dir, 'restored');
    const restored = await ordoOk(['restore', file, '--data', data]);
    expect(restored).toMatch(/^restored .* into .*restored: \d+ messages?, \d+ queues?, schema version \d+\n$/);
    const copy = await startTestBroker({ dataDir: data, auth: { enabled: true }, adminPassword: ADMIN_PASSWORD });
    try {
      const client = await connect(copy.url, { reconnect: false, username: 'admin', password: ADMIN_PASSWORD });
      expect((await client.peekQueue('saved')).map((m) => m.payload)).toEqual(['s1', 's2', 's3']);
      // A new instance id, so exactly-once consumers do not take the seqs given again for ones they handled.
      expect(client.welcome?.instance).toBeDefined();
      expect(client.welcome?.instance).not.toBe(sdk.welcome?.instance);
      await client.close();
    } finally {
      await copy.close();
    }
    // The data dir has a store now: replacing it takes --force.
    expectOneLineFailure(await ordo(['restore', file, '--data', data]), /^ordo: ERR_CONFLICT: .*--force/);
    expect(JSON.parse(await ordoOk(['restore', file, '--data', data, '--force', '--json']))).toMatchObject({ file, dataDir: data });
  });

  it('refuses while a broker holds the data dir, and a file that is not an Ordo store', async () => {
    const dir = await tempDir();
    const file = join(dir, 'b.db');
    await asAdmin('backup', file);
    expectOneLineFailure(await ordo(['restore', file, '--data', broker.dataDir, '--force']), /^ordo: ERR_CONFLICT: a broker is using /);

    const text = join(dir, 'notes.txt');
    await writeFile(text, 'not a database\n');
    expectOneLineFailure(await ordo(['restore', text, '--data', join(dir, 'a')]), /^ordo: ERR_BAD_REQUEST: .*not an Ordo store/);
    expect(existsSync(join(dir, 'a'))).toBe(false);
    expectOneLineFailure(await ordo(['restore', join(dir, 'missing.db'), '--data', join(dir, 'a')]), /^ordo: ERR_BAD_REQUEST: cannot read /);
    expectOneLineFailure(await ordo(['restore', file]), /^ordo: .*--data/);
  });

  it('removes a leftover ordo.db-wal and ordo.db-shm: the old store\'s log is not replayed into the copy', async () => {
    await filledQueue('before-backup', ['b1']);
    const dir = await tempDir();
    const file = join(dir, 'b.db');
    await asAdmin('backup', file);
    // A store killed with commits still in its log: its ordo.db-wal and ordo.db-shm stay behind.
    const old = join(dir, 'old');
    await mkdir(old);
    const killed = await spawnBrokerProcess([], { dataDir: old });
    try {
      const client = await connect(killed.url, { reconnect: false });
      await client.createQueue('after-backup');
      await client.send('after-backup', 'a1');
      await killed.kill('SIGKILL');
    } finally {
      await killed.stop();
    }
    expect(existsSync(join(old, 'ordo.db-wal')) && existsSync(join(old, 'ordo.db-shm'))).toBe(true);
    // Beside the old store (--force), and left alone after the old ordo.db went.
    for (const [name, files, flags] of [['replaced', ['ordo.db', 'ordo.db-wal', 'ordo.db-shm'], ['--force']], ['orphans', ['ordo.db-wal', 'ordo.db-shm'], []]] as const) {
      const data = join(dir, name);
      await mkdir(data);
      for (const f of files) await copyFile(join(old, f), join(data, f));
      await ordoOk(['restore', file, '--data', data, ...flags]);
      expect(await readdir(data)).toEqual(['ordo.db']);
      const copy = await startTestBroker({ dataDir: data, auth: { enabled: true }, adminPassword: ADMIN_PASSWORD });
      try {
        const client = await connect(copy.url, { reconnect: false, username: 'admin', password: ADMIN_PASSWORD });
        expect((await client.peekQueue('before-backup')).map((m) => m.payload)).toEqual(['b1']);
        expect((await client.listQueues()).map((q) => q.name)).not.toContain('after-backup');
        await client.close();
      } finally {
        await copy.close();
      }
    }
  });

  it('refuses a damaged backup and one of a newer schema in one line, leaving the data dir as it was', async () => {
    const dir = await tempDir();
    const file = join(dir, 'b.db');
    await asAdmin('backup', file);
    const good = await readFile(file);
    const random = join(dir, 'random.db');
    await writeFile(random, randomBytes(good.length));
    const garbled = join(dir, 'garbled.db');
    await writeFile(garbled, Buffer.concat([good.subarray(0, 16), randomBytes(good.length - 16)]));
    const truncated = join(dir, 'truncated.db');
    await writeFile(truncated, good.subarray(0, 4096 * Math.floor(good.length / 8192)));
    const cutShort = join(dir, 'cut-short.db');
    await writeFile(cutShort, good.subarray(0, good.length - 10));
    // A table's rows (at the end of its page) zeroed: SQLite's report of it has many lines, printed as one.
    const zeroed = join(dir, 'zeroed.db');
    const small = new Database(zeroed);
    small.exec('CREATE TABLE t (x TEXT)');
    for (let i = 0; i < 20; i++) small.prepare('INSERT INTO t VALUES (?)').run('x'.repeat(100));
    small.close();
    const smallBytes = await readFile(zeroed);
    await writeFile(zeroed, smallBytes.fill(0, smallBytes.length - 1000));
    const newer = join(dir, 'newer.db');
    await copyFile(file, newer);
    const db = new Database(newer);
    const version = db.pragma('user_version', { simple: true }) as number;
    db.pragma(`user_version = ${version + 1}`);
    db.close();

    const data = join(dir, 'data');
    await ordoOk(['restore', file, '--data', data]);
    const before = await readFile(join(data, 'ordo.db'));
    const fresh = join(dir, 'fresh');
    for (const [bad, pattern] of [
      [random, /^ordo: ERR_BAD_REQUEST: .*random\.db is not an Ordo store: not an SQLite file\n$/],
      [garbled, /^ordo: ERR_BAD_REQUEST: .*garbled\.db is not an Ordo store: /],
      [truncated, /^ordo: ERR_BAD_REQUEST: .*truncated\.db (is not an Ordo store|is damaged): /],
      [zeroed, /^ordo: ERR_BAD_REQUEST: .*zeroed\.db is damaged: \*\*\* in database main \*\*\* \S/],
      [cutShort, /^ordo: ERR_BAD_REQUEST: .*cut-short\.db is damaged: \d+ bytes, not the \d+ pages of \d+ bytes it says it holds \(cut short\?\)\n$/],
      [newer, new RegExp(`^ordo: ERR_BAD_REQUEST: .*newer\\.db has schema version ${version + 1}, newer than this Ordo understands \\(${version}\\): restore it with a newer Ordo\n$`)],
    ] as const) {
      expectOneLineFailure(await ordo(['restore', bad, '--data', data, '--force']), pattern);
      expect(await readdir(data)).toEqual(['ordo.db']);
      expect((await readFile(join(data, 'ordo.db'))).equals(before), `${bad} left ordo.db as it was`).toBe(true);
      expectOneLineFailure(await ordo(['restore', bad, '--data', fresh]), pattern);
      expect(existsSync(fresh)).toBe(false);
    }
  });

  it('a broker with its store in memory cannot be backed up (ERR_BAD_REQUEST)', async () => {
    const memory = await startTestBroker({ durability: 'memory' });
    try {
      const file = join(await tempDir(), 'm.db');
      expectOneLineFailure(await ordo(['backup', file, '--url', memory.url]), /^ordo: ERR_BAD_REQUEST: /);
      expect(existsSync(file) || existsSync(`${file}.partial`)).toBe(false);
    } finally {
      await memory.cleanup();
    }
  });
});

/** One sample of a Prometheus text exposition: `name{labels} value`. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The broker's /metrics, parsed (comments skipped; label values unescaped). */
async function scrape(): Promise<Sample[]> {
  const res = await fetch(`${url.replace(/^ws/, 'http')}/metrics`);
  expect(res.status).toBe(200);
  return (await res.text()).split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((line) => {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    expect(m, line).not.toBeNull();
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m![2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    return { name: m![1], labels, value: Number(m![3]) };
  });
}

/** The value of `name` (with `labels`) in `samples`; undefined when absent. */
function sampleOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe('ordo queue ls and conn ls agree with /metrics (it has no per-topic series)', SEQUENTIAL, () => {
  it('queue depths and consumers per queue, and the connection count, are the same numbers', async () => {
    await filledQueue('agreed', ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7']);
    // Two deliveries held unacked by a consumer: ready 5, unacked 2, one consumer.
    const consumer = await connect(url, { reconnect: false, username: 'admin', password: ADMIN_PASSWORD, clientId: 'cli-admin-consumer' });
    const held: unknown[] = [];
    await consumer.consume('agreed', (msg) => { held.push(msg); return new Promise(() => undefined); }, { prefetch: 2 });
    await waitFor(async () => (await sdk.queueInfo('agreed')).unacked === 2, { timeoutMs: 10_000 }, 'two deliveries unacked');

    const queues = jsonLines<QueueInfo>(await asAdmin('queue', 'ls', '--json'));
    const metrics = await scrape();
    expect(queues.find((q) => q.name === 'agreed')).toMatchObject({ ready: 5, unacked: 2, consumers: 1 });
    for (const q of queues) {
      expect(sampleOf(metrics, 'ordo_queue_messages_ready', { queue: q.name }), `ready of ${q.name}`).toBe(q.ready);
      expect(sampleOf(metrics, 'ordo_queue_messages_unacked', { queue: q.name }), `unacked of ${q.name}`).toBe(q.unacked);
      expect(sampleOf(metrics, 'ordo_queue_messages_delayed', { queue: q.name }), `delayed of ${q.name}`).toBe(q.delayed);
      expect(sampleOf(metrics, 'ordo_queue_consumers', { queue: q.name }), `consumers of ${q.name}`).toBe(q.consumers);
    }
    expect(sampleOf(metrics, 'ordo_queues')).toBe(queues.length);

    // conn ls counts its own connection, which is gone by the time of the scrape after it; the scrape before must agree too.
    await waitFor(async () => {
      const before = sampleOf(await scrape(), 'ordo_connections');
      const conns = jsonLines<ConnectionInfo>(await asAdmin('conn', 'ls', '--json'));
      const after = sampleOf(await scrape(), 'ordo_connections');
      return before === after && conns.length === (after ?? NaN) + 1;
    }, { timeoutMs: 20_000 }, 'conn ls lists the connections /metrics counts, and its own');

    await consumer.close();
  });
});

describe('every new command has --help with an example', () => {
  it.each([
    'queue info', 'queue purge', 'queue move', 'queue redrive', 'topic ls', 'topic clear-retained', 'conn ls', 'conn kick',
    'subscription ls', 'subs rm', 'stats', 'backup', 'restore',
  ])('ordo %s --help', async (command) => {
    const help = await ordoOk([...command.split(' '), '--help']);
    expect(help).toMatch(/Examples?:\n {2}\$ (\S+=\S+ )*ordo /);
  });

  it('ordo completion bash prints a completion script made from the command tree', async () => {
    const script = await ordoOk(['completion', 'bash']);
    expect(script).toContain('complete -F _ordo ordo');
    expect(script).toMatch(/"queue redrive"\|"queue redrive "\*\) words="[^"]*--max\b/);
    expectOneLineFailure(await ordo(['completion', 'fish']), /^ordo: no completion for shell fish/);
  });
});
