import { describe, expect, it, vi } from 'vitest';
import { connect, isOrdoError, type ConnectOptions, type OrdoClient } from '../../client/index.js';
import { signToken } from '../../broker/auth/tokens.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { openRawSocket, pack } from '../helpers/raw-socket.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';

/** Authentication over real WebSockets [docs/security.md]: passwords, tokens, the hook, anonymous access. */

const res = useResources();
const ADMIN_PASSWORD = 'admin-secret-1';

async function authBroker(extra: Parameters<typeof startTestBroker>[0] = {}): Promise<TestBroker> {
  const broker = await startTestBroker({ adminPassword: ADMIN_PASSWORD, ...extra, auth: { enabled: true, ...extra.auth } });
  res.defer(() => broker.cleanup());
  return broker;
}

async function client(broker: TestBroker, options: ConnectOptions): Promise<OrdoClient> {
  const c = await connect(broker.url, { reconnect: false, connectTimeoutMs: 5000, ...options });
  res.defer(() => c.close());
  return c;
}

const admin = (broker: TestBroker): Promise<OrdoClient> => client(broker, { username: 'admin', password: ADMIN_PASSWORD });

/** The error connect() rejects with. */
async function refusal(broker: TestBroker, options: ConnectOptions): Promise<{ code: string; message: string }> {
  const err = await connect(broker.url, { reconnect: false, connectTimeoutMs: 5000, ...options }).then(
    async (c) => { await c.close(); throw new Error('connected'); },
    (e: unknown) => e,
  );
  expect(isOrdoError(err), String(err)).toBe(true);
  return err as { code: string; message: string };
}

describe('authentication', () => {
  it('refuses to start with auth on, no users and no first admin password', async () => {
    const saved = process.env.ORDO_ADMIN_PASSWORD;
    delete process.env.ORDO_ADMIN_PASSWORD;
    try {
      await expect(startTestBroker({ auth: { enabled: true } })).rejects.toMatchObject({ code: 'ERR_BAD_CONFIG', message: expect.stringContaining('ORDO_ADMIN_PASSWORD') });
    } finally {
      if (saved !== undefined) process.env.ORDO_ADMIN_PASSWORD = saved;
    }
  });

  it('creates admin on the first start, which logs in; a wrong password or unknown user is ERR_UNAUTHORIZED', async () => {
    const broker = await authBroker();
    const a = await admin(broker);
    expect(a.welcome?.user).toBe('admin');
    expect((await refusal(broker, { username: 'admin', password: 'wrong-password' })).code).toBe('ERR_UNAUTHORIZED');
    expect((await refusal(broker, { username: 'nobody', password: 'whatever-pw' })).code).toBe('ERR_UNAUTHORIZED');
    expect((await refusal(broker, {})).message).toMatch(/credentials required/);
  });

  it('keeps users across a restart (scrypt hashes in the store), and the first admin is made only once', async () => {
    const broker = await authBroker();
    await (await admin(broker)).users.add('alice', 'alice-password');
    await broker.close();
    const again = await startTestBroker({ dataDir: broker.dataDir, auth: { enabled: true } });
    res.defer(() => again.close());
    const alice = await client(again, { username: 'alice', password: 'alice-password' });
    expect(alice.welcome?.user).toBe('alice');
  });

  it('accepts a token it signed; refuses an expired, forged or tampered one, and one of a removed user', async () => {
    const broker = await authBroker({ auth: { tokenSecret: 'x'.repeat(40) } });
    const a = await admin(broker);
    await a.users.add('svc', 'svc-password');
    const { token } = await a.tokens.create({ user: 'svc', ttlMs: 60_000 });
    const svc = await client(broker, { token });
    expect(svc.welcome?.user).toBe('svc');

    const now = Date.now();
    const expired = signToken({ sub: 'svc', iat: now - 120_000, exp: now - 60_000 }, 'x'.repeat(40));
    expect((await refusal(broker, { token: expired })).message).toMatch(/expired/);
    const forged = signToken({ sub: 'svc', iat: now, exp: now + 60_000 }, 'y'.repeat(40));
    expect((await refusal(broker, { token: forged })).code).toBe('ERR_UNAUTHORIZED');
    const [head, , sig] = token.split('.');
    const adminClaims = Buffer.from(JSON.stringify({ sub: 'admin', iat: now, exp: now + 60_000 })).toString('base64url');
    expect((await refusal(broker, { token: `${head}.${adminClaims}.${sig}` })).code).toBe('ERR_UNAUTHORIZED');

    await a.users.remove('svc');
    await waitFor(() => svc.state === 'closed');
    expect((await refusal(broker, { token })).message).toMatch(/no longer exists/);
    // Made again, svc is a new user: the old one's tokens stay dead.
    await a.users.add('svc', 'new-svc-password');
    expect((await refusal(broker, { token })).message).toMatch(/issued before/);
  });

  it('lets a user make tokens for itself only; admin for anyone', async () => {
    const broker = await authBroker();
    const a = await admin(broker);
    await a.users.add('alice', 'alice-password');
    await a.users.add('bob', 'bob-password');
    const alice = await client(broker, { username: 'alice', password: 'alice-password' });
    expect((await alice.tokens.create({ ttlMs: 5000 })).user).toBe('alice');
    await expect(alice.tokens.create({ user: 'bob', ttlMs: 5000 })).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await expect(a.tokens.create({ user: 'bob', ttlMs: 10 })).rejects.toMatchObject({ code: 'ERR_BAD_REQUEST' });
    const { token } = await a.tokens.create({ user: 'bob', ttlMs: 5000 });
    // A token cannot make its own successor: a stolen one ends with its expiry.
    const bobByToken = await client(broker, { token });
    await expect(bobByToken.tokens.create({ ttlMs: 5000 })).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
  });

  it('signs no token while auth is off (it would let its holder in once auth is on)', async () => {
    const broker = await startTestBroker();
    res.defer(() => broker.cleanup());
    const c = await client(broker, {});
    await c.users.add('early', 'early-password');
    await expect(c.tokens.create({ user: 'early', ttlMs: 5000 })).rejects.toMatchObject({ code: 'ERR_UNSUPPORTED' });
  });

  it('checks parallel logins of one address in turn: past the budget none is even checked', async () => {
    const broker = await authBroker({ auth: { maxFailedLoginsPerMinute: 3 } });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => refusal(broker, { username: 'admin', password: `guess-${i}-xx` })));
      const checked = stderr.mock.calls.filter(([line]) => String(line).includes('wrong user name or password')).length;
      expect(checked).toBeLessThanOrEqual(3 + 1); // the budget, plus the one check that can run beside the last failure
      expect(outcomes.filter((e) => /too many failed logins/.test(e.message)).length).toBeGreaterThanOrEqual(20 - 4);
    } finally {
      stderr.mockRestore();
    }
  });

  it('queues at most 64 logins of one address behind the two being checked; more are refused, retryable', async () => {
    // 66 scrypt checks, two at a time, can pass the default 10 s handshake deadline on a loaded machine (then ERR_HANDSHAKE).
    const broker = await authBroker({ limits: { handshakeTimeoutMs: 60_000 } });
    const attempts = await Promise.all(Array.from({ length: 90 }, () => connect(broker.url, {
      username: 'admin', password: ADMIN_PASSWORD, reconnect: false, connectTimeoutMs: 20_000,
    }).then((c) => { res.defer(() => c.close()); return 'in'; }, (e: { code: string }) => e.code)));
    const refused = attempts.filter((a) => a !== 'in');
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused)).toEqual(new Set(['ERR_TOO_MANY_CONNECTIONS']));
    expect(attempts.filter((a) => a === 'in').length).toBeGreaterThanOrEqual(66);
  }, 60_000);

  it('rate-limits failed logins per address: past the budget even the right password is refused', async () => {
    const broker = await authBroker({ auth: { maxFailedLoginsPerMinute: 3 } });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      for (let i = 0; i < 3; i++) expect((await refusal(broker, { username: 'admin', password: `bad-password-${i}` })).code).toBe('ERR_UNAUTHORIZED');
      expect((await refusal(broker, { username: 'admin', password: ADMIN_PASSWORD })).message).toMatch(/too many failed logins/);
      const logged = stderr.mock.calls.map(([line]) => String(line)).filter((line) => line.includes('"event":"login_failed"'));
      expect(logged.length).toBe(3); // one line per checked failure, with the address and user
      expect(JSON.parse(logged[0])).toMatchObject({ level: 'warn', user: 'admin', address: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    } finally {
      stderr.mockRestore();
    }
  });

  it('lets anonymous clients in only where allowed, as user anonymous with what rules for it grant', async () => {
    const broker = await authBroker({ auth: { allowAnonymous: true } });
    await (await admin(broker)).acl.add({ subject: 'user:anonymous', action: 'publish', pattern: 'public/#' });
    const anon = await client(broker, {});
    expect(anon.welcome?.user).toBe('anonymous');
    await anon.publish('public/x', 1, { qos: 'at-least-once' });
    await expect(anon.publish('private/x', 1, { qos: 'at-least-once' })).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
  });

  it('asks the authenticate hook first: a result accepts, null defers to users, false refuses', async () => {
    const seen: string[] = [];
    const broker = await authBroker({
      authenticate: (req) => {
        seen.push(req.address);
        if (req.token === 'let-me-in') return { user: 'hooked', roles: ['admin'] };
        if (req.token === 'go-away') return false;
        if (req.token === 'as-admin-without-roles') return { user: 'admin' };
        return null;
      },
    });
    const hooked = await client(broker, { token: 'let-me-in' });
    expect(hooked.welcome?.user).toBe('hooked');
    expect((await hooked.stats()).connections).toBeGreaterThan(0);
    // The hook's roles are the hook's; a token would take the directory's user's: a hooked login mints none for itself.
    const lookalike = await client(broker, { token: 'as-admin-without-roles' });
    await expect(lookalike.stats()).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await expect(lookalike.tokens.create({ ttlMs: 5000 })).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    expect((await refusal(broker, { token: 'go-away' })).message).toMatch(/hook/);
    expect((await admin(broker)).welcome?.user).toBe('admin');
    expect(seen.length).toBe(4);
  });

  it('refuses a login whose check outlasts auth.timeoutMs (a hook that never answers)', async () => {
    const broker = await authBroker({ auth: { timeoutMs: 200 }, authenticate: () => new Promise(() => undefined) });
    const started = Date.now();
    const err = await refusal(broker, { token: 'anything' });
    expect(err).toMatchObject({ code: 'ERR_UNAUTHORIZED', message: expect.stringMatching(/longer than 200 ms/) });
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('holds operations pipelined after HELLO until the credentials are checked, then runs them in order', async () => {
    const broker = await authBroker();
    const raw = await openRawSocket(broker.url);
    res.defer(() => raw.close());
    raw.sendBytes(pack([
      [1, { version: 1, username: 'admin', password: ADMIN_PASSWORD }],
      [12, 7, 'create', 'pipelined', null],
      [5, 8],
    ]));
    const ops = [await raw.nextOp(), await raw.nextOp(), await raw.nextOp()];
    expect(ops[0][0]).toBe(64);
    // The create answers after its commit, the ping at once: both ran, after the welcome.
    expect(ops.slice(1).map((op) => `${String(op[0])}:${String(op[1])}`).sort()).toEqual(['65:7', '68:8']);
  });

  it('closes a connection whose HELLO names a wrong password with ERR_UNAUTHORIZED and close status 1008; nothing after it runs', async () => {
    const broker = await authBroker();
    const raw = await openRawSocket(broker.url);
    raw.sendBytes(pack([[1, { version: 1, username: 'admin', password: 'nope-nope' }], [12, 7, 'create', 'never', null]]));
    const err = await raw.nextOp();
    expect(err.slice(0, 3)).toEqual([66, 0, 'ERR_UNAUTHORIZED']);
    expect((await raw.closed).code).toBe(1008);
    const a = await admin(broker);
    await expect(a.queueInfo('never')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  it('caps the connections of one user (limits.maxConnectionsPerUser)', async () => {
    const broker = await authBroker({ limits: { maxConnectionsPerUser: 2 } });
    await admin(broker);
    await admin(broker);
    expect((await refusal(broker, { username: 'admin', password: ADMIN_PASSWORD })).code).toBe('ERR_TOO_MANY_CONNECTIONS');
  });

  it('keeps a user\'s open connections and tokens through a password change; only the next password login sees it', async () => {
    const broker = await authBroker();
    const a = await admin(broker);
    await a.users.add('alice', 'alice-password');
    await a.acl.add({ subject: 'user:alice', action: 'publish', pattern: 'alice/#' });
    const alice = await client(broker, { username: 'alice', password: 'alice-password' });
    const { token } = await alice.tokens.create({ ttlMs: 60_000 });
    const disconnects: unknown[] = [];
    alice.on('disconnect', (e) => disconnects.push(e));
    await a.users.passwd('alice', 'alice-new-password');
    await alice.publish('alice/x', 1, { qos: 'at-least-once' });
    expect(alice.state).toBe('connected');
    expect(disconnects).toEqual([]);
    expect((await client(broker, { token })).welcome?.user).toBe('alice');
    expect((await refusal(broker, { username: 'alice', password: 'alice-password' })).code).toBe('ERR_UNAUTHORIZED');
    expect((await client(broker, { username: 'alice', password: 'alice-new-password' })).welcome?.user).toBe('alice');
  });

  it('leaves the connections the authenticate hook accepted open on USER roles and remove of a stored user of that name', async () => {
    const broker = await authBroker({ authenticate: (req) => (req.token === 'hooked-alice' ? { user: 'alice', roles: ['admin'] } : null) });
    const a = await admin(broker);
    await a.users.add('alice', 'alice-password', { roles: ['admin'] });
    const hooked = await client(broker, { token: 'hooked-alice' });
    const stored = await client(broker, { username: 'alice', password: 'alice-password' });
    const disconnects: unknown[] = [];
    hooked.on('disconnect', (e) => disconnects.push(e));

    await a.users.setRoles('alice', []);
    await waitFor(() => stored.state === 'closed'); // the stored user's login is asked to come back
    await hooked.publish('anything/x', 1, { qos: 'at-least-once' });
    const again = await client(broker, { username: 'alice', password: 'alice-password' });
    await a.users.remove('alice');
    await waitFor(() => again.state === 'closed');
    await hooked.publish('anything/y', 1, { qos: 'at-least-once' });
    await hooked.flush();
    expect(hooked.state).toBe('connected');
    expect(disconnects).toEqual([]);
  });

  it('fails a login with more than 1024 operations held before WELCOME: ERR_HANDSHAKE, close 1002; 1024 all run', async () => {
    const broker = await authBroker();
    const hello = [1, { version: 1, username: 'admin', password: ADMIN_PASSWORD }];
    const pings = (n: number): unknown[][] => Array.from({ length: n }, (_, i) => [5, i + 1]);

    const ok = await openRawSocket(broker.url);
    res.defer(() => ok.close());
    ok.sendBytes(pack([hello, ...pings(1024)]));
    await ok.nextOp((op) => op[0] === 68 && op[1] === 1024, 10_000);
    expect(ok.received[0][0]).toBe(64);
    expect(ok.received.filter((op) => op[0] === 68).length).toBe(1024);

    const over = await openRawSocket(broker.url);
    res.defer(() => over.close());
    over.sendBytes(pack([hello, ...pings(1025)]));
    expect((await over.nextOp()).slice(0, 3)).toEqual([66, 0, 'ERR_HANDSHAKE']);
    expect((await over.closed).code).toBe(1002);
    expect(over.received.filter((op) => op[0] === 64 || op[0] === 68)).toEqual([]);
  });

  it('keeps the token secret it made in the store: with no auth.tokenSecret, a token survives a restart', async () => {
    const broker = await authBroker();
    const { token } = await (await admin(broker)).tokens.create({ user: 'admin', ttlMs: 60_000 });
    await broker.close();
    const again = await startTestBroker({ dataDir: broker.dataDir, auth: { enabled: true } });
    res.defer(() => again.close());
    expect((await client(again, { token })).welcome?.user).toBe('admin');
  });
});
