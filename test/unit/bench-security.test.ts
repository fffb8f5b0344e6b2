import { describe, expect, it } from 'vitest';
import { Acl, aclRuleError, roleNameError, userNameError, type AclRule, type Grantee } from '../../broker/auth/index.js';
import { parseBenchArgs } from '../../bench/args.js';
import { isOrderingSectionSelected, isSecuritySectionSelected, selectWorkloads } from '../../bench/main.js';
import { DEFAULT_ACL_SIZE, PUBLISHERS_ROLE, SUBSCRIBER_USER, planAcl, type AclPlan } from '../../bench/security/acl-plan.js';
import { SECURITY_WORKLOAD_IDS, securityWorkloads } from '../../bench/security/index.js';
import { DEFAULT_LOGIN_PLAN, type LoginRow } from '../../bench/security/logins.js';
import { formatLogins, formatRatio, formatSecurityThroughput, loginRatios, throughputRatios } from '../../bench/security/report.js';
import { workloadLogins, type SecurityThroughputRow } from '../../bench/security/throughput.js';
import { DEFAULT_WORKLOADS } from '../../bench/workloads/spec.js';

/** The plan's rules as the broker holds them, ids in the order added. */
function aclOf(plan: AclPlan): Acl {
  return new Acl(plan.rules.map((rule, i): AclRule => ({ id: i + 1, ...rule })));
}

function grantee(plan: AclPlan, name: string): Grantee {
  const user = plan.users.find((u) => u.name === name);
  if (user === undefined) throw new Error(`no user ${name}`);
  return { user: user.name, roles: user.roles };
}

describe('the security section ACL plan', () => {
  const plan = planAcl(SECURITY_WORKLOAD_IDS);
  const acl = aclOf(plan);

  it('has the default size: 200 valid rules over 40 users and 10 roles', () => {
    expect(plan.rules).toHaveLength(DEFAULT_ACL_SIZE.rules);
    expect(plan.users).toHaveLength(DEFAULT_ACL_SIZE.users);
    expect(new Set(plan.users.map((u) => u.name)).size).toBe(DEFAULT_ACL_SIZE.users);
    const roles = new Set(plan.users.flatMap((u) => u.roles));
    expect(roles.size).toBe(DEFAULT_ACL_SIZE.roles);
    const subjects = new Set(plan.rules.map((r) => r.subject));
    expect(subjects.size).toBe(DEFAULT_ACL_SIZE.users + DEFAULT_ACL_SIZE.roles);
    for (const rule of plan.rules) expect(aclRuleError(rule), JSON.stringify(rule)).toBeUndefined();
    for (const user of plan.users) {
      expect(userNameError(user.name)).toBeUndefined();
      for (const role of user.roles) expect(roleNameError(role)).toBeUndefined();
    }
  });

  it('grants each publisher its own bench/<workload id>/… by the role rule with {user}', () => {
    for (const id of SECURITY_WORKLOAD_IDS) {
      const publisher = grantee(plan, id);
      expect(publisher.roles).toContain(PUBLISHERS_ROLE);
      expect(acl.allows(publisher, 'publish', `bench/${id}/3f9a0c1d`)).toBe(true);
      // Not through a rule of its own user: without the role, nothing.
      expect(acl.allows({ ...publisher, roles: publisher.roles.filter((r) => r !== PUBLISHERS_ROLE) }, 'publish', `bench/${id}/3f9a0c1d`)).toBe(false);
      expect(acl.allowsPattern(publisher, 'subscribe', `bench/${id}/3f9a0c1d`)).toBe(false);
      for (const other of SECURITY_WORKLOAD_IDS.filter((o) => o !== id)) expect(acl.allows(publisher, 'publish', `bench/${other}/3f9a0c1d`)).toBe(false);
    }
  });

  it('grants the subscriber each workload topic by rules of its user, and nothing to publish', () => {
    const subscriber = grantee(plan, SUBSCRIBER_USER);
    for (const id of SECURITY_WORKLOAD_IDS) {
      expect(acl.allowsPattern(subscriber, 'subscribe', `bench/${id}/3f9a0c1d`)).toBe(true);
      expect(acl.allowsPattern({ ...subscriber, roles: [] }, 'subscribe', `bench/${id}/3f9a0c1d`)).toBe(true);
      expect(acl.allows(subscriber, 'publish', `bench/${id}/3f9a0c1d`)).toBe(false);
    }
  });

  it('puts every other rule outside bench/, and the grants after the other rules of their subject', () => {
    for (const user of plan.users) {
      const who = { user: user.name, roles: user.roles };
      if (!(SECURITY_WORKLOAD_IDS as readonly string[]).includes(user.name)) expect(acl.allows(who, 'publish', 'bench/x/y')).toBe(false);
      expect(acl.allowsPattern(who, 'subscribe', 'bench/#')).toBe(false);
    }
    const grant = plan.rules.findIndex((r) => r.pattern === 'bench/{user}/#');
    const others = plan.rules.filter((r, i) => i !== grant && r.subject === `role:${PUBLISHERS_ROLE}` && r.action === 'publish');
    expect(others.length).toBeGreaterThan(0);
    expect(grant).toBeGreaterThan(plan.rules.indexOf(others[others.length - 1]));
  });

  it('refuses a size with no room for the measured users and grants', () => {
    expect(() => planAcl(SECURITY_WORKLOAD_IDS, { users: 2, roles: 10, rules: 200 })).toThrow(RangeError);
    expect(() => planAcl(SECURITY_WORKLOAD_IDS, { users: 40, roles: 10, rules: 2 })).toThrow(RangeError);
    expect(planAcl(SECURITY_WORKLOAD_IDS, { users: 3, roles: 3, rules: 3 }).rules).toHaveLength(3);
  });
});

describe('the security section workloads', () => {
  it('are the main table\'s 1→1 workloads, with the overrides and the guarantee filter', () => {
    expect(securityWorkloads({}).map((s) => s.id)).toEqual(['throughput-1-1', 'alo-windowed']);
    expect(securityWorkloads({ qos: 'at-least-once' }).map((s) => s.id)).toEqual(['alo-windowed']);
    expect(securityWorkloads({ qos: 'exactly-once' })).toEqual([]);
    const [spec] = securityWorkloads({ qos: 'at-most-once', workload: { maxBurstMs: 500 } });
    expect(spec).toEqual({ ...DEFAULT_WORKLOADS.find((s) => s.id === 'throughput-1-1'), maxBurstMs: 500 });
    for (const s of securityWorkloads({})) expect([s.publishers, s.subscribers]).toEqual([1, 1]);
  });

  it('log the subscribers in first, then the publishers, as the workloads open them', () => {
    const [spec] = securityWorkloads({ qos: 'at-most-once' });
    expect(workloadLogins(spec, undefined)).toEqual([{}, {}]);
    const access = { password: 'pw-123456', token: 'ordo1.x.y', loginUser: SUBSCRIBER_USER };
    expect(workloadLogins(spec, access)).toEqual([
      { username: SUBSCRIBER_USER, password: 'pw-123456' },
      { username: 'throughput-1-1', password: 'pw-123456' },
    ]);
  });
});

describe('the security section flags', () => {
  it('runs only when named, in --only or --workloads', () => {
    expect(isSecuritySectionSelected(parseBenchArgs(['--only', 'security']))).toBe(true);
    expect(isSecuritySectionSelected(parseBenchArgs(['--workloads', 'security']))).toBe(true);
    expect(isSecuritySectionSelected(parseBenchArgs(['--only', 'security', '--workloads', 'latency']))).toBe(false);
    expect(isSecuritySectionSelected(parseBenchArgs([]))).toBe(false);
    expect(isSecuritySectionSelected(parseBenchArgs(['--only', 'ordo']))).toBe(false);
    expect(isOrderingSectionSelected(parseBenchArgs(['--only', 'security']))).toBe(false);
    expect(selectWorkloads({ workloads: ['security'] })).toEqual([]);
  });
});

const throughputRow = (transport: 'ws' | 'wss', auth: 'off' | 'on', rate: number | undefined, serverCpuUs = 4): SecurityThroughputRow => ({
  transport, auth, qos: 'at-most-once', workload: '1→1 throughput',
  ...(rate === undefined ? { error: 'start failed: boom' } : { rate, runRates: [rate * 0.9, rate, rate * 1.1], serverCpuUs, clientCpuUs: 3 }),
  ...(rate === undefined ? {} : { delivery: { expected: 10, delivered: 10, lost: 0, duplicated: 0, reordered: 0, unexpected: 0 } }),
});

describe('the security section report', () => {
  it('prints one line per ratio: auth on ÷ off per transport, then wss ÷ ws per auth mode', () => {
    const rows = [throughputRow('ws', 'off', 200_000), throughputRow('ws', 'on', 100_000, 12), throughputRow('wss', 'off', 160_000), throughputRow('wss', 'on', undefined)];
    expect(throughputRatios(rows)).toEqual([
      '1→1 throughput over ws: auth on ÷ off = 0.50× (200,000 → 100,000 msg/s; srv CPU/msg 3.00×)',
      '1→1 throughput over wss: auth on ÷ off = – (a row is missing or failed)',
      '1→1 throughput, auth off: wss ÷ ws = 0.80× (200,000 → 160,000 msg/s; srv CPU/msg 1.00×)',
      '1→1 throughput, auth on: wss ÷ ws = – (a row is missing or failed)',
    ]);
    const table = formatSecurityThroughput(rows, securityWorkloads({ qos: 'at-most-once' }), DEFAULT_ACL_SIZE);
    expect(table).toContain('200 rules over 40 users and 10 roles');
    expect(table).toMatch(/1→1 throughput\s+wss\s+on\s+–\s+–.*failed: start failed: boom/);
    expect(table).toContain('180,000–220,000');
  });

  it('prints the logins with their ratios against a connect without authentication, and wss ÷ ws', () => {
    const login = (transport: 'ws' | 'wss', kind: LoginRow['login'], rate: number, p50Ms: number): LoginRow => ({ transport, login: kind, logins: 100, rate, p50Ms, p99Ms: p50Ms * 2 });
    const rows = [login('ws', 'none', 600, 4), login('ws', 'token', 500, 5), login('ws', 'password', 30, 120), login('wss', 'none', 300, 10)];
    expect(loginRatios(rows)).toEqual([
      'token logins over ws ÷ connects with auth off = 0.83× (600 → 500 logins/s; p50 4.00 → 5.00 ms)',
      'password logins over ws ÷ connects with auth off = 0.05× (600 → 30 logins/s; p50 4.00 → 120 ms)',
      'token logins over wss ÷ connects with auth off = – (a row is missing or failed)',
      'password logins over wss ÷ connects with auth off = – (a row is missing or failed)',
      'connects with auth off: wss ÷ ws = 0.50× (600 → 300 logins/s; p50 4.00 → 10.0 ms)',
      'token logins: wss ÷ ws = – (a row is missing or failed)',
      'password logins: wss ÷ ws = – (a row is missing or failed)',
    ]);
    expect(formatLogins(rows, DEFAULT_LOGIN_PLAN)).toMatch(/ws\s+none \(auth off\)\s+100\s+600\s+4\.00\s+8\.00/);
  });

  it('formats ratios with a precision that follows their size, and a dash without both numbers', () => {
    expect(formatRatio(1, 4)).toBe('0.25×');
    expect(formatRatio(50, 4)).toBe('12.5×');
    expect(formatRatio(1000, 4)).toBe('250×');
    expect(formatRatio(undefined, 4)).toBe('–');
    expect(formatRatio(1, 0)).toBe('–');
  });
});
