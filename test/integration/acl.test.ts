import { describe, expect, it } from 'vitest';
import { connect, type Message, type OrdoClient } from '../../client/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';

/** Authorization over real WebSockets [docs/security.md]: every operation is checked against the ACL. */

const res = useResources();
const ADMIN_PASSWORD = 'admin-secret-1';

interface World {
  broker: TestBroker;
  admin: OrdoClient;
  login(user: string): Promise<OrdoClient>;
}

/** A broker with auth on, users alice and bob (role `people`), and rules from `rules`. */
async function world(rules: { subject: string; action: 'publish' | 'subscribe' | 'send' | 'consume' | 'admin'; pattern: string }[]): Promise<World> {
  const broker = await startTestBroker({ auth: { enabled: true }, adminPassword: ADMIN_PASSWORD });
  res.defer(() => broker.cleanup());
  const login = async (user: string, password = `${user}-password`): Promise<OrdoClient> => {
    const c = await connect(broker.url, { username: user, password, reconnect: false });
    res.defer(() => c.close());
    return c;
  };
  const admin = await login('admin', ADMIN_PASSWORD);
  for (const name of ['alice', 'bob']) await admin.users.add(name, `${name}-password`, { roles: ['people'] });
  for (const rule of rules) await admin.acl.add(rule);
  return { broker, admin, login };
}

/** Everything `c` receives on `pattern` (at least once, so stored messages count too). */
async function watch(c: OrdoClient, pattern: string): Promise<Message[]> {
  const got: Message[] = [];
  await c.subscribe(pattern, (m) => { got.push(m); }, { qos: 'at-least-once' });
  return got;
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 200));

describe('authorization', () => {
  it('refuses a publish outside the grants with ERR_FORBIDDEN, and nothing is stored or delivered', async () => {
    const w = await world([{ subject: 'user:alice', action: 'publish', pattern: 'a/#' }]);
    const alice = await w.login('alice');
    const everything = await watch(w.admin, '#');
    await alice.publish('a/ok', 'yes', { qos: 'at-least-once' });
    await expect(alice.publish('b/no', 'no', { qos: 'at-least-once' })).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await expect(alice.publish('b/no', 'no', { qos: 'at-least-once', retain: true })).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await expect(alice.publish('b/no', 'no', { qos: 'at-most-once' })).resolves.toBeUndefined();
    await waitFor(() => everything.length === 1);
    await settle();
    expect(everything.map((m) => m.topic)).toEqual(['a/ok']);
    const late = await watch(w.admin, 'b/no');
    await settle();
    expect(late).toEqual([]); // no retained message was kept
  });

  it('keeps each user in its {user} namespace: alice cannot read or write bob\'s', async () => {
    const w = await world([
      { subject: 'role:people', action: 'publish', pattern: 'users/{user}/#' },
      { subject: 'role:people', action: 'subscribe', pattern: 'users/{user}/#' },
      { subject: 'role:people', action: 'send', pattern: 'inbox/{user}' },
      { subject: 'role:people', action: 'consume', pattern: 'inbox/{user}' },
    ]);
    const [alice, bob] = [await w.login('alice'), await w.login('bob')];
    const bobs = await watch(bob, 'users/bob/#');
    await expect(alice.subscribe('users/bob/#', () => undefined)).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await expect(alice.subscribe('users/+/notes', () => undefined)).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await expect(alice.subscribe('#', () => undefined)).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await expect(alice.subscribe('users/bob/#', () => undefined, { durable: 'spy' })).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await expect(alice.subscribe('users/bob/#', () => undefined, { group: 'spies' })).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await expect(alice.consume('inbox/bob', () => undefined)).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await expect(alice.publish('users/bob/notes', 'forged', { qos: 'at-least-once' })).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await alice.subscribe('users/alice/#', () => undefined);
    await bob.publish('users/bob/notes', 'mine', { qos: 'at-least-once' });
    await bob.send('inbox/bob', 'job');
    await waitFor(() => bobs.length === 1);
    const jobs: Message[] = [];
    await bob.consume('inbox/bob', (m) => { jobs.push(m); });
    await waitFor(() => jobs.length === 1);
  });

  it('keeps durable subscriptions per user: naming another user\'s client id and durable name reaches none of its messages', async () => {
    const w = await world([{ subject: 'role:people', action: 'subscribe', pattern: 'users/{user}/#' }]);
    const bob = await connect(w.broker.url, { username: 'bob', password: 'bob-password', clientId: 'shared-id', reconnect: false });
    await bob.subscribe('users/bob/#', () => undefined, { durable: 'd' });
    await bob.close();
    await w.admin.publish('users/bob/secret', 'for bob', { qos: 'at-least-once' });
    const alice = await connect(w.broker.url, { username: 'alice', password: 'alice-password', clientId: 'shared-id', reconnect: false });
    res.defer(() => alice.close());
    const got: Message[] = [];
    await alice.subscribe('users/alice/#', (m) => { got.push(m); }, { durable: 'd' });
    await settle();
    expect(got).toEqual([]);
    const queues = (await w.admin.listQueues()).map((q) => q.name).filter((n) => n.startsWith('$durable/') && !n.endsWith('.dlq'));
    expect(queues.sort()).toEqual(['$durable/alice/shared-id/d', '$durable/bob/shared-id/d']);
  });

  it('refuses replay and retained messages of topics the subscriber may not read', async () => {
    const w = await world([{ subject: 'user:alice', action: 'subscribe', pattern: 'open/#' }]);
    await w.admin.publish('secret/x', 'hidden', { qos: 'at-least-once', retain: true });
    const alice = await w.login('alice');
    await expect(alice.subscribe('secret/x', () => undefined, { from: { seq: 1 } })).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await expect(alice.subscribe('secret/x', () => undefined)).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
  });

  it('refuses admin operations to a non-admin: users, rules, stats, queues', async () => {
    const w = await world([{ subject: 'user:alice', action: 'admin', pattern: 'alice/#' }]);
    const alice = await w.login('alice');
    await expect(alice.users.add('mallory', 'mallory-password')).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await expect(alice.users.list()).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await expect(alice.acl.add({ subject: 'user:alice', action: 'publish', pattern: '#' })).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await expect(alice.stats()).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await expect(alice.listQueues()).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await expect(alice.createQueue('jobs')).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await expect(alice.createQueue('alice/jobs', { deadLetterQueue: 'elsewhere/dead' })).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await alice.createQueue('alice/jobs', { deadLetterQueue: 'alice/dead' });
    await expect(w.admin.queueInfo('jobs')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    expect((await w.admin.users.list()).map((u) => u.user)).toEqual(['admin', 'alice', 'bob']);
  });

  it('lets anyone answer a request through its reply inbox, and nobody subscribe to inboxes', async () => {
    const w = await world([
      { subject: 'user:bob', action: 'subscribe', pattern: 'svc/echo' },
      { subject: 'user:alice', action: 'publish', pattern: 'svc/echo' },
    ]);
    const [alice, bob] = [await w.login('alice'), await w.login('bob')];
    await bob.reply('svc/echo', (m) => m.payload);
    expect((await alice.request('svc/echo', 'ping')).payload).toBe('ping');
    await expect(alice.subscribe('$inbox/#', () => undefined)).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
  });

  it('asks a user to connect again when a rule it used is removed; the renewed subscription is refused', async () => {
    const w = await world([]);
    const rule = await w.admin.acl.add({ subject: 'role:people', action: 'subscribe', pattern: 'news/#' });
    const alice = await connect(w.broker.url, { username: 'alice', password: 'alice-password', reconnectDelayMs: 20 });
    res.defer(() => alice.close());
    const errors: unknown[] = [];
    alice.on('error', (e) => errors.push(e));
    const got: Message[] = [];
    await alice.subscribe('news/#', (m) => { got.push(m); });
    const disconnected = new Promise((resolve) => alice.once('disconnect', resolve));
    expect(await w.admin.acl.remove(rule.id)).toBe(true);
    expect(await disconnected).toMatchObject({ error: { code: 'ERR_GRANTS_CHANGED' } });
    await waitFor(() => alice.state === 'connected');
    expect((await w.admin.acl.list()).length).toBe(0);
    // The renewal is refused and reported as an 'error' event; the subscription ends.
    await waitFor(() => errors.length > 0);
    expect(errors).toEqual([expect.objectContaining({ code: 'ERR_FORBIDDEN' })]);
    await w.admin.publish('news/today', 'too late', { qos: 'at-least-once' });
    await settle();
    expect(got).toEqual([]);
  });

  it('asks a user to connect again when its roles are set; the new roles\' grants apply', async () => {
    const w = await world([{ subject: 'role:people', action: 'publish', pattern: 'news/#' }]);
    const alice = await connect(w.broker.url, { username: 'alice', password: 'alice-password', reconnectDelayMs: 20 });
    res.defer(() => alice.close());
    await alice.publish('news/x', 1, { qos: 'at-least-once' });
    const disconnected = new Promise((resolve) => alice.once('disconnect', resolve));
    expect(await w.admin.users.setRoles('alice', ['readers'])).toMatchObject({ user: 'alice', roles: ['readers'] });
    expect(await disconnected).toMatchObject({ error: { code: 'ERR_GRANTS_CHANGED' } });
    await waitFor(() => alice.state === 'connected');
    await expect(alice.publish('news/x', 2, { qos: 'at-least-once' })).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    // A connection that sets its own user's roles is answered first, then closed like the others.
    await w.admin.users.add('carol', 'carol-password', { roles: ['admin'] });
    const carol = await connect(w.broker.url, { username: 'carol', password: 'carol-password', reconnectDelayMs: 20 });
    res.defer(() => carol.close());
    const carolDisconnected = new Promise((resolve) => carol.once('disconnect', resolve));
    expect(await carol.users.setRoles('carol', ['people'])).toMatchObject({ user: 'carol', roles: ['people'] });
    expect(await carolDisconnected).toMatchObject({ error: { code: 'ERR_GRANTS_CHANGED' } });
    await waitFor(() => carol.state === 'connected');
    await expect(carol.users.list()).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await carol.publish('news/x', 3, { qos: 'at-least-once' }); // role people's grant
  });

  it('forgets what a connection was allowed once a rule it used is removed: the reconnected client is refused', async () => {
    const w = await world([]);
    const rule = await w.admin.acl.add({ subject: 'user:alice', action: 'publish', pattern: 'feed/#' });
    const alice = await connect(w.broker.url, { username: 'alice', password: 'alice-password', reconnectDelayMs: 20 });
    res.defer(() => alice.close());
    for (let i = 0; i < 3; i++) await alice.publish('feed/x', i, { qos: 'at-least-once' }); // allowed, and remembered
    const disconnected = new Promise((resolve) => alice.once('disconnect', resolve));
    await w.admin.acl.remove(rule.id);
    await disconnected;
    await waitFor(() => alice.state === 'connected');
    await expect(alice.publish('feed/x', 3, { qos: 'at-least-once' })).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    const added = await w.admin.acl.add({ subject: 'user:alice', action: 'publish', pattern: 'feed/x' });
    await alice.publish('feed/x', 4, { qos: 'at-least-once' }); // a rule added widens a live connection's grants at once
    expect(added.id).toBeGreaterThan(rule.id);
  });

  it('never gives a rule id twice, across a restart too', async () => {
    const w = await world([]);
    const kept = await w.admin.acl.add({ subject: 'user:alice', action: 'publish', pattern: 'a/#' });
    const removed = await w.admin.acl.add({ subject: 'user:alice', action: 'publish', pattern: 'b/#' });
    expect(removed.id).toBeGreaterThan(kept.id);
    expect(await w.admin.acl.remove(removed.id)).toBe(true);
    await w.broker.close();
    const again = await startTestBroker({ dataDir: w.broker.dataDir, auth: { enabled: true } });
    res.defer(() => again.close());
    const admin = await connect(again.url, { username: 'admin', password: ADMIN_PASSWORD, reconnect: false });
    res.defer(() => admin.close());
    expect((await admin.acl.list()).map((r) => r.id)).toEqual([kept.id]);
    const added = await admin.acl.add({ subject: 'user:alice', action: 'publish', pattern: 'c/#' });
    expect(added.id).toBeGreaterThan(removed.id);
  });

  it('checks every output of ackAndPublish', async () => {
    const w = await world([
      { subject: 'user:alice', action: 'consume', pattern: 'in' },
      { subject: 'user:alice', action: 'send', pattern: 'out' },
    ]);
    const alice = await w.login('alice');
    await w.admin.send('in', 1);
    await w.admin.send('in', 2);
    const outcomes: string[] = [];
    await alice.consume<number>('in', async (m) => {
      const target = m.payload === 1 ? { queue: 'out' } : { queue: 'elsewhere' };
      await m.ackAndPublish([{ ...target, payload: m.payload }]).then(() => outcomes.push('ok'), (e: { code: string }) => outcomes.push(e.code));
    }, { ack: 'manual' });
    await waitFor(() => outcomes.length >= 2);
    expect(outcomes.slice(0, 2)).toEqual(['ok', 'ERR_FORBIDDEN']);
    await expect(w.admin.queueInfo('elsewhere')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });
});

describe('authorization: kept state and shared names', () => {
  it('does not let a durable subscription renewed on another pattern read what it kept after its grant was withdrawn', async () => {
    const w = await world([{ subject: 'user:alice', action: 'subscribe', pattern: 'public/#' }]);
    const rule = await w.admin.acl.add({ subject: 'user:alice', action: 'subscribe', pattern: 'secret/#' });
    const first = await w.login('alice');
    await first.subscribe('secret/#', () => undefined, { durable: 'D' });
    await first.close();
    await w.admin.acl.remove(rule.id);
    await w.admin.publish('secret/plan', 'kept while away', { qos: 'at-least-once' });
    const alice = await w.login('alice');
    await expect(alice.subscribe('secret/#', () => undefined, { durable: 'D' })).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    const got: Message[] = [];
    await alice.subscribe('public/x', (m) => { got.push(m); }, { durable: 'D' });
    await w.admin.publish('public/x', 'fresh', { qos: 'at-least-once' });
    await waitFor(() => got.length === 1);
    await settle();
    expect(got.map((m) => m.payload)).toEqual(['fresh']);
  });

  it('drops the queues a removed user kept: a user made again under its name starts with none', async () => {
    const w = await world([{ subject: 'role:people', action: 'subscribe', pattern: 'users/{user}/#' }]);
    const bob = await w.login('bob');
    await bob.subscribe('users/bob/#', () => undefined, { durable: 'D' });
    await bob.close();
    await w.admin.publish('users/bob/x', 'for the first bob', { qos: 'at-least-once' });
    // A shared group that happens to be called bob is not bob's.
    const alice = await w.login('alice');
    await alice.subscribe('users/alice/#', () => undefined, { group: 'bob', qos: 'at-least-once' });
    expect(await w.admin.users.remove('bob')).toBe(true);
    const names = (await w.admin.listQueues()).map((q) => q.name);
    expect(names.filter((n) => n.startsWith('$durable/bob/'))).toEqual([]);
    expect(names.filter((n) => n.startsWith('$group/bob/')).length).toBe(1);
  });

  it('needs a grant for a stored publish to a reply inbox: only plain replies are free', async () => {
    const w = await world([]);
    const alice = await w.login('alice');
    await expect(alice.publish('$inbox/made-up/x', 'junk', { qos: 'at-least-once' })).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await expect(alice.publish('$inbox/made-up/x', 'junk', { qos: 'at-most-once', retain: true })).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
  });

  it('keeps idempotent producer ids per user: the same id on two users neither conflicts nor shares sequences', async () => {
    const w = await world([{ subject: 'role:people', action: 'publish', pattern: 'p/{user}' }]);
    const login = async (user: string): Promise<OrdoClient> => {
      const c = await connect(w.broker.url, { username: user, password: `${user}-password`, producerId: 'same-id', reconnect: false });
      res.defer(() => c.close());
      return c;
    };
    const bob = await login('bob');
    await bob.publish('p/bob', 1, { qos: 'exactly-once' });
    const alice = await login('alice');
    expect(alice.welcome?.producerSeq).toBe(0);
    await alice.publish('p/alice', 1, { qos: 'exactly-once' });
    await bob.publish('p/bob', 2, { qos: 'exactly-once' }); // not taken over by alice's hello
  });

  it('refuses user names ending in .dlq, which {user} would turn into another user\'s dead-letter queue', async () => {
    const w = await world([]);
    await expect(w.admin.users.add('bob.dlq', 'some-password')).rejects.toMatchObject({ code: 'ERR_BAD_REQUEST' });
    // Nor 'anonymous', the name of every client that logs in without credentials.
    await expect(w.admin.users.add('anonymous', 'some-password')).rejects.toMatchObject({ code: 'ERR_BAD_REQUEST' });
  });
});
