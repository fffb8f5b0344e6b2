import { describe, expect, it } from 'vitest';
import { Router, isGroup, pickMember, type Subscriber, type Subscription } from '../../broker/delivery/index.js';

function subscriber(id: string, canTakeMore = true): Subscriber {
  return { connectionId: id, canTakeMore, deliver: () => true };
}

function sub(s: Subscriber, subId: number, pattern: string, group?: string): Subscription {
  return { subscriber: s, subId, pattern, qos: 'at-most-once', group };
}

const ids = (targets: readonly unknown[]): number[] =>
  targets.map((t) => (isGroup(t as never) ? -1 : (t as Subscription).subId)).sort((a, b) => a - b);

describe('Router', () => {
  it('never serves a stale cached match after subscriptions change', () => {
    const r = new Router();
    const a = subscriber('a');
    const s1 = sub(a, 1, 'x/+');
    r.add(s1);
    expect(ids(r.match('x/y'))).toEqual([1]);
    const s2 = sub(a, 2, 'x/#');
    r.add(s2);
    expect(ids(r.match('x/y'))).toEqual([1, 2]);
    r.remove(s1);
    expect(ids(r.match('x/y'))).toEqual([2]);
    r.remove(s2);
    expect(r.match('x/y')).toEqual([]);
  });

  it('puts a shared group in the trie once and picks members round robin, skipping full ones', () => {
    const r = new Router();
    const members = [sub(subscriber('a'), 1, 'j/#', 'g'), sub(subscriber('b'), 1, 'j/#', 'g'), sub(subscriber('c', false), 1, 'j/#', 'g')];
    for (const m of members) r.add(m);
    const targets = r.match('j/1');
    expect(targets).toHaveLength(1);
    const group = targets[0];
    if (!isGroup(group)) throw new Error('expected a group');
    const picked = Array.from({ length: 4 }, () => pickMember(group).subscriber.connectionId);
    expect(picked).toEqual(['a', 'b', 'a', 'b']);
    for (const m of members) r.remove(m);
    expect(r.match('j/1')).toEqual([]);
  });

  it('bounds the match cache by the targets it holds, and does not cache reply inboxes', () => {
    const r = new Router();
    const s = subscriber('a');
    for (let i = 1; i <= 2000; i++) r.add(sub(s, i, '#'));
    for (let t = 0; t < 200; t++) expect(r.match(`topic/${t}`)).toHaveLength(2000);
    expect(r.cachedTargetCount).toBeLessThanOrEqual(Router.CACHE_TARGETS);
    expect(r.cachedTargetCount).toBeGreaterThan(0);
    const inbox = sub(s, 9999, '$inbox/abc/#');
    r.add(inbox);
    expect(r.cachedTargetCount).toBe(0);
    expect(ids(r.match('$inbox/abc/1'))).toEqual([9999]);
    expect(r.cachedTargetCount).toBe(0);
  });
});
