import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connect, isOrdoError, type AclRuleInfo, type OrdoClient, type TokenInfo, type UserInfo } from '../../client/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { expectOneLineFailure, jsonLines, killLeftoverOrdos, lines, ordo, ordoOk, startOrdo } from '../helpers/ordo-cli.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * The security commands of `ordo` (user, acl, token, and the broker's auth
 * flags), run as child processes against a broker with authentication on.
 * The CLI logs in as the built-in admin through ORDO_USER / ORDO_PASSWORD.
 * Every test makes its own users, so they do not depend on each other.
 */

const DIST_MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const SEQUENTIAL = { timeout: 60_000 };
const ADMIN_PASSWORD = 'admin-password-1';
const ADMIN = { ORDO_USER: 'admin', ORDO_PASSWORD: ADMIN_PASSWORD };

let broker: TestBroker;
let url: string;
/** The admin as an SDK client: sets up and checks what the CLI is not under test for. */
let admin: OrdoClient;

beforeAll(async () => {
  if (!existsSync(DIST_MAIN)) throw new Error('dist/ is missing: run `npm run build` before these tests');
  // The tests log in wrongly on purpose a few times, all from 127.0.0.1: keep the per-address limit out of the way.
  broker = await startTestBroker({ auth: { enabled: true, maxFailedLoginsPerMinute: 1000 }, adminPassword: ADMIN_PASSWORD });
  url = broker.url;
  admin = await connect(url, { reconnect: false, username: 'admin', password: ADMIN_PASSWORD });
});

afterAll(async () => {
  killLeftoverOrdos();
  await admin?.close();
  await broker?.cleanup();
});

/** `ordo ...args --url URL` logged in as admin. */
const asAdmin = (args: string[], input?: string): Promise<string> => ordoOk([...args, '--url', url], { env: ADMIN, input });

/** The HTTP status of a WebSocket upgrade to `target` from a page of `origin`: 101 when it opened. */
function upgradeStatus(target: string, origin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(target, { origin });
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (req, res) => {
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    ws.once('error', reject);
  });
}

/** The error code a login as `username` with `password` gets, or 'ok'. */
async function loginResult(username: string, password: string): Promise<string> {
  try {
    const client = await connect(url, { reconnect: false, username, password });
    await client.close();
    return 'ok';
  } catch (err) {
    return isOrdoError(err) ? err.code : String(err);
  }
}

describe('ordo user', () => {
  it('adds a user with the password from stdin, lists, changes the password of and removes it', SEQUENTIAL, async () => {
    const added = await asAdmin(['user', 'add', 'alice', '--role', 'ops', '--role', 'billing'], 'alice-password-1\n');
    expect(added).toBe('added user alice with roles ops, billing\n');
    expect(await loginResult('alice', 'alice-password-1')).toBe('ok');

    const listed = jsonLines<UserInfo>(await asAdmin(['user', 'ls', '--json']));
    expect(listed.find((u) => u.user === 'alice')).toMatchObject({ roles: ['ops', 'billing'] });
    expect(listed.find((u) => u.user === 'admin')?.roles).toContain('admin');
    const table = await asAdmin(['user', 'ls']);
    expect(lines(table)[0]).toMatch(/^user\s+roles\s+created$/);
    expect(table).toMatch(/^alice\s+ops,billing\s+\d{4}-/m);
    expect(table).not.toContain('alice-password-1');

    expect(await asAdmin(['user', 'passwd', 'alice', '--password', 'alice-password-2'])).toBe('changed the password of alice\n');
    expect(await loginResult('alice', 'alice-password-1')).toBe('ERR_UNAUTHORIZED');
    expect(await loginResult('alice', 'alice-password-2')).toBe('ok');

    expect(await asAdmin(['user', 'rm', 'alice'])).toBe('removed user alice\n');
    expect(await loginResult('alice', 'alice-password-2')).toBe('ERR_UNAUTHORIZED');
    expectOneLineFailure(await ordo(['user', 'rm', 'alice', '--url', url], { env: ADMIN }), /^ordo: ERR_NOT_FOUND: no user alice$/m);
  });

  it('takes the new password from ORDO_NEW_PASSWORD, and the login password from --login-password', SEQUENTIAL, async () => {
    const out = await ordoOk(['user', 'add', 'bob', '--json', '--url', url, '--user', 'admin', '--login-password', ADMIN_PASSWORD], {
      env: { ORDO_NEW_PASSWORD: 'bob-password-1' },
    });
    expect(jsonLines<UserInfo>(out)).toEqual([expect.objectContaining({ user: 'bob', roles: [] })]);
    expect(await loginResult('bob', 'bob-password-1')).toBe('ok');
  });

  it('sets the roles of a user to exactly those given, or none with --no-role', SEQUENTIAL, async () => {
    await admin.users.add('roland', 'roland-password-1', { roles: ['a'] });
    expect(await asAdmin(['user', 'roles', 'roland', '--role', 'b', '--role', 'c'])).toBe('roland now has roles b, c\n');
    expect((await admin.users.list()).find((u) => u.user === 'roland')?.roles).toEqual(['b', 'c']);
    expect(await asAdmin(['user', 'roles', 'roland', '--no-role'])).toBe('roland now has no roles\n');
    expectOneLineFailure(await ordo(['user', 'roles', 'roland', '--url', url], { env: ADMIN }), /^ordo: give the roles with --role/);
  });

  it('refuses a user with no password given, and a password the broker finds too short, in one line', SEQUENTIAL, async () => {
    expectOneLineFailure(await ordo(['user', 'add', 'nopass', '--url', url], { env: ADMIN }), /^ordo: no password given: use --password/);
    expectOneLineFailure(await ordo(['user', 'add', 'short', '--password', 'abc', '--url', url], { env: ADMIN }), /^ordo: ERR_BAD_REQUEST: /);
    const names = (await admin.users.list()).map((u) => u.user);
    expect(names).not.toContain('nopass');
    expect(names).not.toContain('short');
  });

  it('refuses a wrong admin password with ERR_UNAUTHORIZED on one line, and a non-admin with ERR_FORBIDDEN', SEQUENTIAL, async () => {
    const wrong = await ordo(['user', 'ls', '--url', url], { env: { ORDO_USER: 'admin', ORDO_PASSWORD: 'not-the-password' } });
    expectOneLineFailure(wrong, /^ordo: ERR_UNAUTHORIZED: /);
    await admin.users.add('plain', 'plain-password-1');
    const denied = await ordo(['user', 'ls', '--url', url], { env: { ORDO_USER: 'plain', ORDO_PASSWORD: 'plain-password-1' } });
    expectOneLineFailure(denied, /^ordo: ERR_FORBIDDEN: /);
  });
});

describe('ordo acl', () => {
  it('adds, lists and removes rules, and a rule decides what its user may publish', SEQUENTIAL, async () => {
    await admin.users.add('carol', 'carol-password-1');
    const carol = { ORDO_USER: 'carol', ORDO_PASSWORD: 'carol-password-1' };
    expectOneLineFailure(await ordo(['pub', 'carol/x', 'hi', '--url', url], { env: carol }), /^ordo: ERR_FORBIDDEN: /);

    const [rule] = jsonLines<AclRuleInfo>(await asAdmin(['acl', 'add', '--subject', 'user:carol', '--action', 'publish', '--pattern', 'carol/#', '--json']));
    expect(rule).toEqual({ id: expect.any(Number), subject: 'user:carol', action: 'publish', pattern: 'carol/#' });
    expect(jsonLines<AclRuleInfo>(await asAdmin(['acl', 'ls', '--json']))).toContainEqual(rule);
    expect(await asAdmin(['acl', 'ls'])).toMatch(new RegExp(`^${rule.id}\\s+user:carol\\s+publish\\s+carol/#$`, 'm'));

    const received: unknown[] = [];
    const sub = await admin.subscribe('carol/#', (msg) => { received.push(msg.payload); });
    await ordoOk(['pub', 'carol/x', 'hi', '--url', url], { env: carol });
    await waitFor(() => received.length === 1, {}, 'carol\'s message arrives');
    expect(received).toEqual(['hi']);
    await sub.unsubscribe();

    expect(await asAdmin(['acl', 'rm', String(rule.id)])).toBe(`removed rule ${rule.id}\n`);
    expect((await admin.acl.list()).map((r) => r.id)).not.toContain(rule.id);
    expectOneLineFailure(await ordo(['pub', 'carol/x', 'again', '--url', url], { env: carol }), /^ordo: ERR_FORBIDDEN: /);
    expectOneLineFailure(await ordo(['acl', 'rm', String(rule.id), '--url', url], { env: ADMIN }), /^ordo: ERR_NOT_FOUND: /);
  });

  it('refuses an unknown action, a bad subject and a missing pattern in one line, and adds nothing', SEQUENTIAL, async () => {
    const before = (await admin.acl.list()).length;
    const base = ['acl', 'add', '--url', url];
    expectOneLineFailure(await ordo([...base, '--subject', 'user:x', '--action', 'fly', '--pattern', 'a'], { env: ADMIN }), /^ordo: .*'fly'.*publish, subscribe, send, consume, admin/);
    expectOneLineFailure(await ordo([...base, '--subject', 'x', '--action', 'publish', '--pattern', 'a'], { env: ADMIN }), /^ordo: .*expected user:NAME or role:NAME/);
    expectOneLineFailure(await ordo([...base, '--subject', 'user:x', '--action', 'publish'], { env: ADMIN }), /^ordo: .*--pattern/);
    expectOneLineFailure(await ordo([...base, '--subject', 'user:x', '--action', 'publish', '--pattern', 'a/#/b'], { env: ADMIN }), /^ordo: ERR_BAD_REQUEST: /);
    expect(await admin.acl.list()).toHaveLength(before);
  });
});

describe('ordo token', () => {
  it('prints just a token, which `ordo pub --token` then logs in with', SEQUENTIAL, async () => {
    await admin.users.add('dave', 'dave-password-1');
    await admin.acl.add({ subject: 'user:dave', action: 'publish', pattern: 'dave/#' });
    const out = await asAdmin(['token', 'create', '--user', 'dave', '--ttl', '1h']);
    expect(lines(out)).toHaveLength(1);
    const token = out.trim();
    expect(token).toMatch(/^ordo1\.[\w-]+\.[\w-]+$/);

    const received: unknown[] = [];
    await admin.subscribe('dave/#', (msg) => { received.push(msg.payload); });
    await ordoOk(['pub', 'dave/t', 'by-token', '--token', token, '--url', url]);
    await waitFor(() => received.length === 1, {}, 'the message published with the token arrives');
    expect(received).toEqual(['by-token']);
    expectOneLineFailure(await ordo(['pub', 'dave/t', 'x', '--token', `${token}x`, '--url', url]), /^ordo: ERR_UNAUTHORIZED: /);
  });

  it('lets a user make their own token with --user and --password, and says when it expires (--json)', SEQUENTIAL, async () => {
    await admin.users.add('erin', 'erin-password-1');
    const before = Date.now();
    const out = await ordoOk(['token', 'create', '--user', 'erin', '--password', 'erin-password-1', '--ttl', '30m', '--json', '--url', url]);
    const [info] = jsonLines<TokenInfo>(out);
    expect(info.user).toBe('erin');
    expect(info.expiresAt).toBeGreaterThanOrEqual(before + 30 * 60_000);
    expect(info.expiresAt).toBeLessThanOrEqual(Date.now() + 30 * 60_000);
    const client = await connect(url, { reconnect: false, token: info.token });
    expect(client.welcome?.user).toBe('erin');
    await client.close();
    // Another user's token needs an administrator.
    const forOther = await ordo(['token', 'create', '--user', 'admin', '--login-user', 'erin', '--password', 'erin-password-1', '--ttl', '1m', '--url', url]);
    expectOneLineFailure(forOther, /^ordo: ERR_FORBIDDEN: /);
  });

  it('refuses a bad or missing --ttl in one line, and one past the broker\'s longest', SEQUENTIAL, async () => {
    for (const ttl of ['1y', '0', '-5m', '1.5h']) {
      expectOneLineFailure(await ordo(['token', 'create', '--ttl', ttl, '--url', url], { env: ADMIN }), /^ordo: .*expected a duration/);
    }
    expectOneLineFailure(await ordo(['token', 'create', '--url', url], { env: ADMIN }), /^ordo: .*--ttl/);
    expectOneLineFailure(await ordo(['token', 'create', '--ttl', '365d', '--url', url], { env: ADMIN }), /^ordo: ERR_BAD_REQUEST: .*ttl/i);
  });
});

describe('ordo broker security flags', () => {
  it('--auth keeps the config file\'s other auth keys, --allowed-origin refuses other origins, the admin password comes from ORDO_ADMIN_PASSWORD', SEQUENTIAL, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ordo-cli-security-'));
    try {
      const config = join(dir, 'ordo.json');
      await writeFile(config, JSON.stringify({ auth: { allowAnonymous: true } }));
      const proc = startOrdo(['broker', '--host', '127.0.0.1', '--port', '0', '--data', join(dir, 'data'), '--config', config, '--auth',
        '--allowed-origin', 'https://app.example.com'], { env: { ORDO_ADMIN_PASSWORD: ADMIN_PASSWORD } });
      await waitFor(() => /listening on /.test(proc.stdout()) || proc.child.exitCode !== null, { timeoutMs: 20_000 }, 'the broker listens');
      const brokerUrl = /listening on (ws:\/\/\S+)/.exec(proc.stdout())?.[1];
      expect(brokerUrl, proc.stderr()).toBeDefined();

      // Anonymous (from the file) and auth (from the flag) both hold.
      const anonymous = await connect(brokerUrl!, { reconnect: false });
      expect(anonymous.welcome?.user).toBe('anonymous');
      await anonymous.close();
      expect(await upgradeStatus(brokerUrl!, 'https://app.example.com')).toBe(101);
      expect(await upgradeStatus(brokerUrl!, 'https://evil.example')).toBe(403);
      const asAdminThere = await ordo(['user', 'ls', '--json', '--url', brokerUrl!], { env: ADMIN });
      expect(jsonLines<UserInfo>(asAdminThere.stdout).map((u) => u.user), asAdminThere.stderr).toEqual(['admin']);

      proc.child.kill('SIGTERM');
      expect((await proc.exited).code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses --auth without ORDO_ADMIN_PASSWORD on a first start, in one line', SEQUENTIAL, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ordo-cli-security-'));
    try {
      const run = await ordo(['broker', '--host', '127.0.0.1', '--port', '0', '--data', dir, '--auth']);
      expectOneLineFailure(run, /^ordo: .*ORDO_ADMIN_PASSWORD/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
