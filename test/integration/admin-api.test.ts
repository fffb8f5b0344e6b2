import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { connect, type Message, type OrdoClient, type OrdoError } from '../../client/index.js';
import { ClientOp } from '../../broker/protocol/index.js';
import { createLogger } from '../../broker/observability/logger.js';
import { startTestBroker, makeTempDir, type TestBroker } from '../helpers/broker.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';

/** The ADMIN operation [protocol 2.21] and the queue actions purge (max) and move [protocol 2.14], over the SDK. */

const res = useResources();
const ADMIN_PASSWORD = 'admin-secret-1';

interface World {
  broker: TestBroker;
  admin: OrdoClient;
  login(user: string, options?: { clientId?: string; reconnect?: boolean }): Promise<OrdoClient>;
}

/** A broker with auth on, an administrator, and user alice (no grants but her own topics). */
async function world(opts: Parameters<typeof startTestBroker>[0] = {}): Promise<World> {
  const broker = await startTestBroker({ auth: { enabled: true }, adminPassword: ADMIN_PASSWORD, ...opts });
  res.defer(() => broker.cleanup());
  const login = async (user: string, options: { clientId?: string; reconnect?: boolean } = {}): Promise<OrdoClient> => {
    const password = user === 'admin' ? ADMIN_PASSWORD : `${user}-password`;
    const c = await connect(broker.url, { username: user, password, reconnect: false, ...options });
    res.defer(() => c.close());
    return c;
  };
  const admin = await login('admin', { clientId: 'console' });
  await admin.users.add('alice', 'alice-password');
  for (const action of ['publish', 'subscribe', 'send', 'consume'] as const) {
    await admin.acl.add({ subject: 'user:alice', action, pattern: 'alice/#' });
  }
  return { broker, admin, login };
}

/** Sends `n` messages 0..n-1 to `queue`. */
async function fill(c: OrdoClient, queue: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await c.send(queue, i);
}

/** Consumes `n` messages of `queue` (acked), in the order they came. */
async function drain(c: OrdoClient, queue: string, n: number): Promise<unknown[]> {
  const got: unknown[] = [];
  const sub = await c.consume(queue, (m) => { got.push(m.payload); });
  await waitFor(() => got.length >= n);
  await sub.unsubscribe();
  return got;
}

/** Sends a raw ADMIN operation, for arguments the SDK would never send. */
function rawAdmin(c: OrdoClient, action: unknown, args: unknown): Promise<unknown> {
  return c.call([ClientOp.admin], action, args);
}

describe('admin API: grants and shapes', () => {
  it('refuses every admin action to a user who is no administrator (ERR_FORBIDDEN), and changes nothing', async () => {
    const w = await world();
    const alice = await w.login('alice');
    await w.admin.createQueue('jobs');
    await fill(w.admin, 'jobs', 3);
    await w.admin.publish('news', 'kept', { retain: true, qos: 'at-least-once' });
    const [own] = await w.admin.admin.connections();
    const refused = [
      alice.admin.connections(), alice.admin.kick(own.connectionId), alice.admin.topics(), alice.admin.subscriptions(),
      alice.admin.deleteSubscription('$durable/admin/console/x'), alice.admin.clearRetained('news'),
      alice.admin.backup(() => undefined), alice.purgeQueue('jobs', { max: 1 }), alice.moveMessages('jobs', { to: 'alice/q' }),
    ];
    for (const call of refused) await expect(call).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    expect((await w.admin.queueInfo('jobs')).ready).toBe(3);
    expect((await w.admin.admin.topics()).find((t) => t.topic === 'news')?.retained).toBe(true);
    expect(w.admin.state).toBe('connected');
  });

  it('answers malformed admin operations with ERR_BAD_REQUEST', async () => {
    const w = await world();
    await expect(rawAdmin(w.admin, 'format-disk', null)).rejects.toMatchObject({ code: 'ERR_BAD_REQUEST' });
    await expect(rawAdmin(w.admin, 'kick', null)).rejects.toMatchObject({ code: 'ERR_BAD_REQUEST' });
    await expect(rawAdmin(w.admin, 'kick', { connectionId: 7 })).rejects.toMatchObject({ code: 'ERR_BAD_REQUEST' });
    await expect(rawAdmin(w.admin, 'topics', [1])).rejects.toMatchObject({ code: 'ERR_BAD_REQUEST' });
    await expect(rawAdmin(w.admin, 'backup-read', { id: 'x' })).rejects.toMatchObject({ code: 'ERR_BAD_REQUEST' });
    await expect(rawAdmin(w.admin, 'backup-read', { id: 'x', offset: -1 })).rejects.toMatchObject({ code: 'ERR_BAD_REQUEST' });
    await expect(w.admin.call([ClientOp.queue], 'purge', 'jobs', { max: 0 })).rejects.toMatchObject({ code: 'ERR_BAD_REQUEST' });
    await expect(w.admin.call([ClientOp.queue], 'move', 'jobs', { to: 5 })).rejects.toMatchObject({ code: 'ERR_BAD_REQUEST' });
    // The connection survives all of it.
    expect(await w.admin.admin.connections()).toHaveLength(1);
  });
});

describe('admin API: log', () => {
  it('logs one line per successful admin action that may change something, naming the user, action and target; reads and refusals are not logged', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>); return true; } } as unknown as NodeJS.WritableStream;
    const w = await world({ logger: createLogger({ level: 'info', format: 'json' }, sink) });
    await w.admin.createQueue('jobs');
    await w.admin.purgeQueue('jobs', { max: 5 });
    await w.admin.publish('sys/status', 'up', { retain: true, qos: 'at-least-once' });
    await w.admin.admin.clearRetained('sys/status');
    await w.admin.admin.connections();
    await w.admin.listQueues();
    await expect(w.admin.admin.clearRetained('sys/status')).resolves.toEqual({ cleared: false });
    await expect(w.admin.purgeQueue('none')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    const admin = lines.filter((l) => l.event === 'admin').map(({ user, action, target }) => ({ user, action, target }));
    expect(admin).toEqual([
      { user: 'admin', action: 'queue create', target: 'jobs' },
      { user: 'admin', action: 'queue purge', target: 'jobs' },
      { user: 'admin', action: 'clear-retained', target: 'sys/status' },
      { user: 'admin', action: 'clear-retained', target: 'sys/status' },
    ]);
  });
});

describe('admin API: connections', () => {
  it('lists each connection with its client id, user, version, agent and counters, and kicks one with ERR_KICKED', async () => {
    const w = await world();
    const alice = await w.login('alice', { clientId: 'alice-app', reconnect: true });
    await alice.subscribe('alice/news', () => undefined);
    await alice.consume('alice/jobs', () => undefined);
    for (let i = 0; i < 5; i++) await alice.publish('alice/news', i, { qos: 'at-least-once' });
    const list = await w.admin.admin.connections();
    expect(list.map((c) => c.clientId)).toEqual(['console', 'alice-app']);
    const a = list[1];
    expect(a).toMatchObject({
      user: 'alice', protocolVersion: 1, agent: 'ordo-js/0.1.0', subscriptions: 1, consumers: 1, messagesIn: 5, dropped: 0,
    });
    expect(a.messagesOut).toBeGreaterThanOrEqual(5); // her own subscription got them
    expect(a.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(Date.now() - a.connectedAt).toBeLessThan(60_000);
    expect(typeof a.rateIn).toBe('number');
    expect(typeof a.bufferedBytes).toBe('number');

    const disconnects: (OrdoError | undefined)[] = [];
    alice.on('disconnect', (d) => disconnects.push(d.error));
    const reconnected = new Promise<void>((resolve) => alice.once('reconnect', () => resolve()));
    await expect(w.admin.admin.kick(a.connectionId)).resolves.toEqual({ kicked: true });
    await reconnected; // ERR_KICKED is not a refusal: the SDK connects again
    expect(disconnects.map((e) => e?.code)).toEqual(['ERR_KICKED']);
    const after = await w.admin.admin.connections();
    expect(after.map((c) => c.connectionId)).not.toContain(a.connectionId);
    expect(after.map((c) => c.clientId)).toEqual(['console', 'alice-app']);
    await expect(w.admin.admin.kick(a.connectionId)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  it('lets an administrator kick its own connection: answered, then closed', async () => {
    const w = await world();
    const self = await w.login('admin');
    const [, own] = await w.admin.admin.connections();
    const closed = new Promise<OrdoError | undefined>((resolve) => self.once('close', (c) => resolve(c.error)));
    await expect(self.admin.kick(own.connectionId)).resolves.toEqual({ kicked: true });
    expect((await closed)?.code).toBe('ERR_KICKED');
  });
});

describe('admin API: topics and retained messages', () => {
  it('lists topics with stored history or a retained message, with subscribers, by prefix; clear-retained clears', async () => {
    const w = await world();
    const alice = await w.login('alice');
    await alice.subscribe('alice/#', () => undefined);
    await alice.subscribe('alice/+/temp', () => undefined);
    await w.admin.subscribe('#', () => undefined, { group: 'g' });
    await w.admin.subscribe('#', () => undefined, { group: 'g' });
    for (let i = 0; i < 3; i++) await w.admin.publish('alice/room/temp', i, { qos: 'at-least-once' });
    await w.admin.publish('alice/room/temp', 'last', { retain: true, qos: 'at-least-once' });
    await w.admin.publish('sys/status', 'up', { retain: true });
    await w.admin.publish('fleeting', 'gone', { qos: 'at-most-once' });
    await w.admin.send('jobs', 'not a topic');

    const topics = await w.admin.admin.topics();
    expect(topics.map((t) => t.topic)).toEqual(['alice/room/temp', 'sys/status']);
    // alice/#, alice/+/temp, and the group (counted once).
    expect(topics[0]).toMatchObject({ subscribers: 3, retained: true, stored: 4 });
    expect(topics[0].lastSeq).toBeGreaterThan(0);
    expect(topics[1]).toMatchObject({ subscribers: 1, retained: true, stored: 1 });
    expect((await w.admin.admin.topics({ prefix: 'sys/' })).map((t) => t.topic)).toEqual(['sys/status']);
    expect(await w.admin.admin.topics({ prefix: 'nothing/' })).toEqual([]);

    await expect(w.admin.admin.clearRetained('sys/status')).resolves.toEqual({ cleared: true });
    await expect(w.admin.admin.clearRetained('sys/status')).resolves.toEqual({ cleared: false });
    expect((await w.admin.admin.topics({ prefix: 'sys/' }))[0]?.retained ?? false).toBe(false);
    // A new subscriber gets no retained message any more.
    const got: Message[] = [];
    await alice.subscribe('alice/room/temp', (m) => { got.push(m); });
    await w.admin.admin.clearRetained('alice/room/temp');
    const late: Message[] = [];
    await w.admin.subscribe('alice/room/temp', (m) => { late.push(m); });
    await w.admin.flush();
    await waitFor(() => got.length === 1);
    expect(late).toEqual([]);
  });

  it('answers clear-retained of a pattern or a malformed topic with ERR_BAD_TOPIC, and clears nothing', async () => {
    const w = await world();
    await w.admin.publish('sys/status', 'up', { retain: true, qos: 'at-least-once' });
    for (const topic of ['sys/#', 'sys/+', '#', 'sys//status', '/sys', 'sys/\u0007']) {
      await expect(w.admin.admin.clearRetained(topic), topic).rejects.toMatchObject({ code: 'ERR_BAD_TOPIC' });
    }
    expect((await w.admin.admin.topics({ prefix: 'sys/' }))[0]).toMatchObject({ topic: 'sys/status', retained: true });
    // Still refused to someone who is no administrator, before anything is said of the topic.
    const alice = await w.login('alice');
    await expect(alice.admin.clearRetained('sys/#')).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
  });
});

describe('admin API: subscriptions', () => {
  it('lists live subscriptions and durable ones whose subscriber is away, and deletes an away durable subscription', async () => {
    const w = await world();
    const alice = await w.login('alice', { clientId: 'phone' });
    await alice.subscribe('alice/chat', () => undefined, { order: 'causal' });
    await alice.subscribe('alice/mail', () => undefined, { durable: 'inbox', qos: 'at-least-once' });
    let subs = await w.admin.admin.subscriptions();
    const conn = (await w.admin.admin.connections())[1].connectionId;
    expect(subs).toEqual(expect.arrayContaining([
      expect.objectContaining({ pattern: 'alice/chat', qos: 'at-most-once', order: 'causal', connectionId: conn, clientId: 'phone', user: 'alice' }),
      expect.objectContaining({ pattern: 'alice/mail', qos: 'at-least-once', durable: 'inbox', connectionId: conn, queue: '$durable/alice/phone/inbox' }),
    ]));
    await alice.close();
    for (let i = 0; i < 4; i++) await w.admin.publish('alice/mail', i, { qos: 'at-least-once' });
    subs = await w.admin.admin.subscriptions();
    expect(subs).toEqual([{
      pattern: 'alice/mail', qos: 'at-least-once', order: 'fifo', durable: 'inbox', clientId: 'phone', user: 'alice',
      queue: '$durable/alice/phone/inbox', ready: 4, unacked: 0,
    }]);

    await expect(w.admin.admin.deleteSubscription('$durable/alice/phone/inbox')).resolves.toEqual({ deleted: 4 });
    expect(await w.admin.admin.subscriptions()).toEqual([]);
    expect((await w.admin.listQueues()).map((q) => q.name)).not.toContain('$durable/alice/phone/inbox');
    // Subscribing again starts afresh: nothing kept from before.
    const back = await w.login('alice', { clientId: 'phone' });
    const got: Message[] = [];
    await back.subscribe('alice/mail', (m) => { got.push(m); }, { durable: 'inbox', qos: 'at-least-once' });
    await w.admin.publish('alice/mail', 'new', { qos: 'at-least-once' });
    await waitFor(() => got.length === 1);
    expect(got.map((m) => m.payload)).toEqual(['new']);

    await expect(w.admin.admin.deleteSubscription('$durable/nobody/x/y')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await w.admin.createQueue('plain');
    await expect(w.admin.admin.deleteSubscription('plain')).rejects.toMatchObject({ code: 'ERR_BAD_REQUEST' });
  });

  it('ends a live subscriber\'s subscription when its subscription is deleted, and does not renew it', async () => {
    const w = await world();
    const alice = await w.login('alice', { clientId: 'tablet', reconnect: true });
    const errors: OrdoError[] = [];
    alice.on('error', (e) => errors.push(e as OrdoError));
    const sub = await alice.subscribe('alice/feed', () => undefined, { durable: 'feed', qos: 'at-least-once' });
    const iterator = (async () => { for await (const _ of sub) { /* nothing comes */ } return 'ended'; })();
    await expect(w.admin.admin.deleteSubscription('$durable/alice/tablet/feed')).resolves.toEqual({ deleted: 0 });
    await waitFor(() => errors.length === 1);
    expect(errors[0].code).toBe('ERR_NOT_FOUND');
    await expect(iterator).resolves.toBe('ended');
    // Not renewed after a reconnect: its queue does not come back.
    const reconnected = new Promise<void>((resolve) => alice.once('reconnect', () => resolve()));
    const [, a] = await w.admin.admin.connections();
    await w.admin.admin.kick(a.connectionId);
    await reconnected;
    await alice.flush();
    expect(await w.admin.admin.subscriptions()).toEqual([]);
    expect((await w.admin.listQueues()).map((q) => q.name)).not.toContain('$durable/alice/tablet/feed');
  });
});

describe('queue admin: purge with max, move and dead-letter replay', () => {
  it('purges in chunks: max removes the oldest waiting messages and says how many remain', async () => {
    const w = await world();
    await w.admin.createQueue('bulk');
    await fill(w.admin, 'bulk', 10);
    await expect(w.admin.purgeQueue('bulk', { max: 3 })).resolves.toEqual({ purged: 3, remaining: 7 });
    expect((await w.admin.queueInfo('bulk')).ready).toBe(7);
    expect((await w.admin.peekQueue('bulk', 10)).map((m) => m.payload)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    await expect(w.admin.purgeQueue('bulk')).resolves.toEqual({ purged: 7, remaining: 0 });
    await expect(w.admin.purgeQueue('none')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  it('shows a queue\'s dead letters, and moves them back to it in their order, all of them once', async () => {
    const w = await world();
    await w.admin.createQueue('orders', { maxDeliveries: 1 });
    await fill(w.admin, 'orders', 20);
    let nacked = 0;
    const sub = await w.admin.consume('orders', (m) => { void m.nack({ requeue: false }).then(() => { nacked++; }); }, { ack: 'manual' });
    await waitFor(() => nacked === 20);
    await sub.unsubscribe();

    const info = await w.admin.queueInfo('orders');
    expect(info).toMatchObject({ ready: 0, deadLetterQueue: 'orders.dlq', deadLetters: 20 });
    const dlq = await w.admin.queueInfo('orders.dlq');
    expect(dlq).toMatchObject({ ready: 20, deadLetterFor: 'orders', deadLetters: 0 });
    expect(dlq.oldestAgeMs).toBeGreaterThanOrEqual(0);
    expect((await w.admin.listQueues()).find((q) => q.name === 'orders')?.deadLetters).toBe(20);

    await expect(w.admin.moveMessages('orders.dlq', { max: 5 })).resolves.toEqual({ moved: 5, remaining: 15 });
    await expect(w.admin.moveMessages('orders.dlq')).resolves.toEqual({ moved: 15, remaining: 0 });
    const back = await w.admin.queueInfo('orders');
    expect(back).toMatchObject({ ready: 20, deadLetters: 0 });
    expect(back.oldestAgeMs).toBeGreaterThanOrEqual(0);
    expect((await w.admin.queueInfo('orders.dlq')).oldestAgeMs).toBeNull();
    // Delivered afresh (their delivery count starts again), in the order they were sent.
    const got: Message[] = [];
    const again = await w.admin.consume('orders', (m) => { got.push(m); });
    await waitFor(() => got.length === 20);
    await again.unsubscribe();
    expect(got.map((m) => m.payload)).toEqual([...Array(20).keys()]);
    expect(got.every((m) => !m.redelivered)).toBe(true);
    expect((await w.admin.queueInfo('orders')).total).toBe(0);
  });

  it('moves ready messages to another queue, within its maxLength; refuses what cannot be moved', async () => {
    const w = await world();
    await w.admin.createQueue('a');
    await w.admin.createQueue('b', { maxLength: 4 });
    await fill(w.admin, 'a', 6);
    await expect(w.admin.moveMessages('a', { to: 'b' })).resolves.toEqual({ moved: 4, remaining: 2 });
    await expect(w.admin.moveMessages('a', { to: 'b' })).rejects.toMatchObject({ code: 'ERR_LIMIT' });
    expect(await drain(w.admin, 'b', 4)).toEqual([0, 1, 2, 3]);
    await expect(w.admin.moveMessages('a')).rejects.toMatchObject({ code: 'ERR_BAD_REQUEST' }); // a is no dead-letter queue
    await expect(w.admin.moveMessages('a', { to: 'a' })).rejects.toMatchObject({ code: 'ERR_BAD_REQUEST' });
    await expect(w.admin.moveMessages('a', { to: 'missing' })).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await expect(w.admin.moveMessages('missing', { to: 'a' })).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    expect((await w.admin.queueInfo('a')).ready).toBe(2);
    expect((await w.admin.listQueues()).map((q) => q.name)).not.toContain('missing'); // a move creates no queue
  });

  it('replays a dead-letter queue that serves two queues only to the queue named', async () => {
    const w = await world();
    await w.admin.createQueue('shared.dlq', { deadLetterQueue: null });
    await w.admin.createQueue('q1', { deadLetterQueue: 'shared.dlq' });
    await w.admin.createQueue('q2', { deadLetterQueue: 'shared.dlq' });
    await fill(w.admin, 'shared.dlq', 3);
    await expect(w.admin.moveMessages('shared.dlq')).rejects.toMatchObject({ code: 'ERR_BAD_REQUEST', message: expect.stringMatching(/q1, q2/) });
    expect((await w.admin.queueInfo('shared.dlq')).ready).toBe(3);
    await expect(w.admin.moveMessages('shared.dlq', { to: 'q2', max: 2 })).resolves.toEqual({ moved: 2, remaining: 1 });
    expect([(await w.admin.queueInfo('q1')).ready, (await w.admin.queueInfo('q2')).ready]).toEqual([0, 2]);
  });

  it('needs admin on the target queue too, and moves nothing without it', async () => {
    const w = await world();
    await w.admin.acl.add({ subject: 'user:alice', action: 'admin', pattern: 'alice/#' });
    await w.admin.createQueue('alice/in', { deadLetterQueue: 'ops/dlq' });
    await w.admin.createQueue('alice/out');
    await fill(w.admin, 'alice/in', 3);
    await fill(w.admin, 'ops/dlq', 2);
    const alice = await w.login('alice');
    await expect(alice.moveMessages('alice/in', { to: 'ops/dlq' })).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await expect(alice.moveMessages('ops/dlq')).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' }); // its source, and its target alice/in
    expect([(await w.admin.queueInfo('alice/in')).ready, (await w.admin.queueInfo('ops/dlq')).ready]).toEqual([3, 2]);
    await expect(alice.moveMessages('alice/in', { to: 'alice/out' })).resolves.toEqual({ moved: 3, remaining: 0 });
  });

  it('leaves exactly-once deliveries in flight where they are: they come back to their own queue', async () => {
    const w = await world();
    await fill(w.admin, 'src', 6);
    await w.admin.createQueue('dst');
    const consumer = await w.login('admin');
    await consumer.consume('src', () => new Promise(() => undefined), { prefetch: 2, qos: 'exactly-once' });
    await waitFor(async () => (await w.admin.queueInfo('src')).unacked === 2);
    await expect(w.admin.moveMessages('src', { to: 'dst' })).resolves.toEqual({ moved: 4, remaining: 0 });
    expect(await w.admin.queueInfo('src')).toMatchObject({ ready: 0, unacked: 2 });
    expect(await w.admin.peekQueue('dst', 10)).toHaveLength(4);
    await consumer.close();
    await waitFor(async () => (await w.admin.queueInfo('src')).ready === 2);
    expect(await drain(w.admin, 'src', 2)).toEqual([0, 1]);
    expect(await drain(w.admin, 'dst', 4)).toEqual([2, 3, 4, 5]);
  });
});

describe('admin API: online backup', () => {
  it('streams a backup that opens as SQLite with the messages, in chunks, with progress; then removes it', async () => {
    const w = await world();
    await w.admin.createQueue('big');
    const payload = 'x'.repeat(100_000);
    for (let i = 0; i < 8; i++) await w.admin.send('big', `${i}${payload}`);
    const chunks: Uint8Array[] = [];
    const progress: [number, number][] = [];
    const { bytes } = await w.admin.admin.backup((chunk) => { chunks.push(chunk); }, (done, total) => progress.push([done, total]));
    expect(chunks.length).toBeGreaterThan(2); // at most 256 KiB each
    expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(bytes);
    expect(progress.at(-1)).toEqual([bytes, bytes]);

    const dir = await makeTempDir('ordo-backup-');
    const file = join(dir, 'copy.db');
    await writeFile(file, Buffer.concat(chunks));
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare("SELECT count(*) FROM entries WHERE queue = 'big'").pluck().get()).toBe(8);
      expect(db.prepare("SELECT count(*) FROM queues WHERE name = 'big'").pluck().get()).toBe(1);
    } finally {
      db.close();
    }
    // Nothing left behind in the data directory.
    await waitFor(async () => !(await readdir(w.broker.dataDir)).some((f) => f.startsWith('.ordo-backup-')));
  });

  it('refuses a backup while the disk alarm is on (ERR_LIMIT): it would be a full copy of the store on that disk', async () => {
    const w = await world({ limits: { diskFreeLimitBytes: Number.MAX_SAFE_INTEGER }, log: { level: 'error' } });
    await waitFor(() => w.broker.stats().diskAlarm, {}, 'disk alarm');
    await expect(w.admin.admin.backup(() => undefined)).rejects.toMatchObject({ code: 'ERR_LIMIT', message: expect.stringMatching(/disk alarm/) });
    expect((await readdir(w.broker.dataDir)).filter((f) => f.startsWith('.ordo-backup-'))).toEqual([]);
  });

  it('removes at start the backup files a killed broker left in its data directory', async () => {
    const dataDir = await makeTempDir('ordo-leftover-');
    res.defer(() => rm(dataDir, { recursive: true, force: true }));
    await writeFile(join(dataDir, '.ordo-backup-0badc0de.db'), 'a copy nobody can read any more');
    const broker = await startTestBroker({ dataDir });
    res.defer(() => broker.cleanup());
    expect((await readdir(dataDir)).filter((f) => f.startsWith('.ordo-backup-'))).toEqual([]);
  });

  it('refuses a backup of a memory store with ERR_BAD_REQUEST, and reads of an unknown backup with ERR_NOT_FOUND', async () => {
    const w = await world({ durability: 'memory' });
    await expect(w.admin.admin.backup(() => undefined)).rejects.toMatchObject({ code: 'ERR_BAD_REQUEST' });
    await expect(rawAdmin(w.admin, 'backup-read', { id: 'nope', offset: 0 })).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await expect(rawAdmin(w.admin, 'backup-end', { id: 'nope' })).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });
});
