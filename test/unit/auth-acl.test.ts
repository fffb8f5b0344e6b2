import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACTIONS, ADMIN_ROLE, Acl, aclRuleError, type Action, type AclRule, type Grantee } from '../../broker/auth/index.js';
import { patternMatches } from '../../broker/topics/index.js';

const alice: Grantee = { user: 'alice', roles: [] };
const bob: Grantee = { user: 'bob', roles: ['member'] };
const carol: Grantee = { user: 'carol', roles: ['ops', 'member'] };
const root: Grantee = { user: 'root', roles: [ADMIN_ROLE] };

let nextId = 1;
const rule = (subject: string, action: Action, pattern: string, id = nextId++): AclRule => ({ id, subject, action, pattern });

describe('aclRuleError', () => {
  it('accepts user and role subjects, every action, patterns with {user} levels', () => {
    for (const action of ACTIONS) expect(aclRuleError({ subject: 'user:alice', action, pattern: 'a/+/#' })).toBeUndefined();
    for (const pattern of ['{user}', 'home/{user}/#', '{user}/{user}', '#', '$sys/+']) {
      expect(aclRuleError({ subject: 'role:member', action: 'subscribe', pattern }), pattern).toBeUndefined();
    }
  });

  it('names what is wrong', () => {
    const ok = { subject: 'user:alice', action: 'publish', pattern: 'a/#' };
    expect(aclRuleError({ ...ok, subject: 'alice' })).toMatch(/^subject .* must be 'user:<name>' or 'role:<name>'/);
    expect(aclRuleError({ ...ok, subject: 'group:x' })).toMatch(/^subject /);
    expect(aclRuleError({ ...ok, subject: 'user:' })).toMatch(/^user name /);
    expect(aclRuleError({ ...ok, subject: 'user:a/b' })).toMatch(/^user name /);
    expect(aclRuleError({ ...ok, subject: 'role:+' })).toMatch(/^role name /);
    expect(aclRuleError({ ...ok, subject: undefined })).toMatch(/^subject must be a string/);
    expect(aclRuleError({ ...ok, action: 'delete' })).toBe('action must be one of publish, subscribe, send, consume, admin');
    expect(aclRuleError({ ...ok, action: undefined })).toMatch(/^action /);
    expect(aclRuleError({ ...ok, pattern: 'a/{user}x' })).toMatch(/\{user\} must be a whole level/);
    expect(aclRuleError({ ...ok, pattern: 'a/x{user}/b' })).toMatch(/\{user\} must be a whole level/);
    expect(aclRuleError({ ...ok, pattern: 'a/#/b' })).toMatch(/'#' must be the last level/);
    expect(aclRuleError({ ...ok, pattern: '' })).toBe('pattern is empty');
    expect(aclRuleError({ ...ok, pattern: 'a//{user}' })).toMatch(/empty level/);
    expect(aclRuleError({ ...ok, pattern: 7 })).toBe('pattern must be a string');
  });
});

describe('Acl', () => {
  it('denies by default', () => {
    const acl = new Acl();
    for (const action of ACTIONS) expect(acl.allows(alice, action, 'a')).toBe(false);
    expect(acl.allowsPattern(alice, 'subscribe', '#')).toBe(false);
  });

  it('gives each user their own {user} namespace', () => {
    const acl = new Acl([rule('role:member', 'subscribe', 'home/{user}/#'), rule('user:alice', 'subscribe', 'home/{user}/#')]);
    expect(acl.allows(alice, 'subscribe', 'home/alice/inbox')).toBe(true);
    expect(acl.allows(alice, 'subscribe', 'home/alice')).toBe(true);
    expect(acl.allows(alice, 'subscribe', 'home/bob/inbox')).toBe(false);
    expect(acl.allows(bob, 'subscribe', 'home/bob/inbox')).toBe(true);
    expect(acl.allows(bob, 'subscribe', 'home/alice/inbox')).toBe(false);
    expect(acl.allows(alice, 'publish', 'home/alice/inbox')).toBe(false);
    expect(acl.allowsPattern(alice, 'subscribe', 'home/alice/#')).toBe(true);
    expect(acl.allowsPattern(alice, 'subscribe', 'home/alice/+/x')).toBe(true);
    expect(acl.allowsPattern(alice, 'subscribe', 'home/+/inbox')).toBe(false);
    expect(acl.allowsPattern(alice, 'subscribe', 'home/#')).toBe(false);
    expect(acl.allowsPattern(alice, 'subscribe', '#')).toBe(false);
  });

  it('never fills {user} with a name that is not a user name', () => {
    const acl = new Acl([rule('role:member', 'publish', '{user}/#'), rule('role:member', 'publish', 'open/+')]);
    const nameless: Grantee = { user: '', roles: ['member'] };
    expect(acl.allows(nameless, 'publish', 'x')).toBe(false);
    expect(acl.allows({ user: '+', roles: ['member'] }, 'publish', 'x/y')).toBe(false);
    expect(acl.allows(nameless, 'publish', 'open/x')).toBe(true);
  });

  it('grants through any of the roles, for the rule action only', () => {
    const acl = new Acl([rule('role:ops', 'publish', 'metrics/#'), rule('role:member', 'consume', 'jobs/+')]);
    expect(acl.allows(carol, 'publish', 'metrics/cpu/0')).toBe(true);
    expect(acl.allows(carol, 'consume', 'jobs/resize')).toBe(true);
    expect(acl.allows(carol, 'subscribe', 'metrics/cpu/0')).toBe(false);
    expect(acl.allows(bob, 'publish', 'metrics/cpu/0')).toBe(false);
    expect(acl.allows(bob, 'consume', 'jobs/resize')).toBe(true);
    expect(acl.allows(bob, 'consume', 'jobs/resize/big')).toBe(false);
    // A user named like a role gets nothing from the role's rules.
    expect(acl.allows({ user: 'ops', roles: [] }, 'publish', 'metrics/cpu')).toBe(false);
  });

  it('lets role admin do everything, with no rule at all', () => {
    const acl = new Acl();
    for (const action of ACTIONS) expect(acl.allows(root, action, '$sys/x')).toBe(true);
    expect(acl.allowsPattern(root, 'subscribe', '#')).toBe(true);
  });

  it('admits a wildcard subscription only when one rule covers it whole', () => {
    const acl = new Acl([rule('user:alice', 'subscribe', 'a/#'), rule('user:alice', 'subscribe', 'b/#')]);
    expect(acl.allowsPattern(alice, 'subscribe', 'a/+')).toBe(true);
    expect(acl.allowsPattern(alice, 'subscribe', 'a')).toBe(true);
    // a/# and b/# together do not admit +/x: no single rule covers it, and it is not narrowed.
    expect(acl.allowsPattern(alice, 'subscribe', '+/x')).toBe(false);
    expect(acl.allowsPattern(alice, 'subscribe', '#')).toBe(false);
  });

  it('removes rules by id, and lists them by id', () => {
    const acl = new Acl();
    acl.add(rule('user:alice', 'publish', 'b', 20));
    acl.add(rule('user:alice', 'publish', 'a', 10));
    acl.add(rule('user:alice', 'publish', 'c', 30));
    expect(acl.list().map((r) => r.id)).toEqual([10, 20, 30]);
    expect(acl.allows(alice, 'publish', 'a')).toBe(true);
    expect(acl.remove(10)).toBe(true);
    expect(acl.remove(10)).toBe(false);
    expect(acl.allows(alice, 'publish', 'a')).toBe(false);
    expect(acl.allows(alice, 'publish', 'b')).toBe(true);
    expect(acl.list().map((r) => r.pattern)).toEqual(['b', 'c']);
  });

  it('replaces a rule added again with the same id', () => {
    const acl = new Acl([rule('user:alice', 'publish', 'a', 1)]);
    acl.add(rule('user:bob', 'send', 'q', 1));
    expect(acl.list()).toEqual([{ id: 1, subject: 'user:bob', action: 'send', pattern: 'q' }]);
    expect(acl.allows(alice, 'publish', 'a')).toBe(false);
    expect(acl.allows(bob, 'send', 'q')).toBe(true);
  });

  it('agrees with a linear scan of the rules', () => {
    const names = fc.constantFrom('alice', 'bob', 'ops', 'member');
    const levels = fc.constantFrom('a', 'alice', 'bob', '+', '{user}');
    const pattern = fc.tuple(fc.array(levels, { minLength: 1, maxLength: 3 }), fc.boolean()).map(([ls, hash]) => (hash ? [...ls, '#'] : ls).join('/'));
    const arbRule = fc.record({ kind: fc.constantFrom('user', 'role'), name: names, action: fc.constantFrom(...ACTIONS), pattern });
    const grantee = fc.record({ user: names, roles: fc.subarray(['ops', 'member']) });
    const topic = fc.array(fc.constantFrom('a', 'alice', 'bob', 'x'), { minLength: 1, maxLength: 4 }).map((ls) => ls.join('/'));
    fc.assert(fc.property(fc.array(arbRule, { maxLength: 8 }), grantee, fc.constantFrom(...ACTIONS), topic, (specs, who, action, name) => {
      const rules = specs.map((s, id) => ({ id, subject: `${s.kind}:${s.name}`, action: s.action, pattern: s.pattern }));
      const expected = rules.some((r) =>
        r.action === action &&
        (r.subject === `user:${who.user}` || who.roles.some((role) => r.subject === `role:${role}`)) &&
        patternMatches(r.pattern.split('/').map((l) => (l === '{user}' ? who.user : l)).join('/'), name));
      const acl = new Acl(rules);
      expect(acl.allows(who, action, name)).toBe(expected);
      expect(acl.allowsPattern(who, action, name)).toBe(expected);
    }), { numRuns: 2000 });
  });
});
