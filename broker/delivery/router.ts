import { INBOX_PREFIX } from '../protocol/index.js';
import { TopicTrie } from '../topics/index.js';
import { isGroup, type RouteTarget, type Subscription, type SubscriptionGroup } from './subscription.js';

/**
 * The broker's subscription registry: a topic trie plus a cache of match
 * results per topic (most traffic goes to few topics), as nats-server's
 * sublist does. Any subscription change clears the cache, so a cached result
 * is never stale.
 *
 * Invariant: every Subscription added is in the trie directly or as a member
 * of exactly one SubscriptionGroup, and a group with no members is removed.
 */
export class Router {
  private readonly trie = new TopicTrie<RouteTarget>();
  private readonly groups = new Map<string, SubscriptionGroup>();
  private readonly cache = new Map<string, RouteTarget[]>();
  /** Targets held by the cache, summed over its entries. */
  private cachedTargets = 0;

  /** Topics whose match results are kept at most; the cache is emptied when full. */
  static readonly CACHE_SIZE = 4096;
  /**
   * Targets the cache holds at most, summed over topics: with many wildcard
   * subscriptions each cached result can be large, and the cache must stay a
   * bounded fraction of the subscriptions themselves.
   */
  static readonly CACHE_TARGETS = 65_536;

  /** Targets the match cache holds now (bounded by CACHE_TARGETS); for metrics and tests. */
  get cachedTargetCount(): number {
    return this.cachedTargets;
  }

  add(sub: Subscription): void {
    this.clearCache();
    if (sub.group === undefined) {
      this.trie.add(sub.pattern, sub);
      return;
    }
    const key = groupKey(sub.group, sub.pattern);
    let group = this.groups.get(key);
    if (!group) {
      group = { kind: 'group', name: sub.group, pattern: sub.pattern, members: [], next: 0 };
      this.groups.set(key, group);
      this.trie.add(sub.pattern, group);
    }
    group.members.push(sub);
  }

  remove(sub: Subscription): void {
    this.clearCache();
    if (sub.group === undefined) {
      this.trie.remove(sub.pattern, sub);
      return;
    }
    const key = groupKey(sub.group, sub.pattern);
    const group = this.groups.get(key);
    const at = group ? group.members.indexOf(sub) : -1;
    if (!group || at < 0) return;
    group.members.splice(at, 1);
    if (group.members.length === 0) {
      this.groups.delete(key);
      this.trie.remove(sub.pattern, group);
    }
  }

  /** The targets whose pattern matches `topic`; the array is shared: do not mutate it. */
  match(topic: string): readonly RouteTarget[] {
    let targets = this.cache.get(topic);
    if (targets === undefined) {
      targets = [];
      this.trie.match(topic, targets);
      // Reply inboxes are one topic per request: caching them would only evict the rest.
      if (topic.startsWith(INBOX_PREFIX)) return targets;
      if (this.cache.size >= Router.CACHE_SIZE || this.cachedTargets + targets.length > Router.CACHE_TARGETS) this.clearCache();
      if (targets.length <= Router.CACHE_TARGETS) {
        this.cache.set(topic, targets);
        this.cachedTargets += targets.length;
      }
    }
    return targets;
  }

  /** How many targets match `topic` (a group counts once), bypassing the cache: for inventories that look at many topics once. */
  countMatches(topic: string): number {
    const targets: RouteTarget[] = [];
    this.trie.match(topic, targets);
    return targets.length;
  }

  private clearCache(): void {
    this.cache.clear();
    this.cachedTargets = 0;
  }
}

/**
 * Picks the member of a group that gets the next message: round robin,
 * skipping members that would drop it while another can take it.
 */
export function pickMember(group: SubscriptionGroup): Subscription {
  const n = group.members.length;
  for (let tried = 0; tried < n; tried++) {
    const member = group.members[(group.next + tried) % n];
    if (member.subscriber.canTakeMore) {
      group.next = (group.next + tried + 1) % n;
      return member;
    }
  }
  const member = group.members[group.next % n];
  group.next = (group.next + 1) % n;
  return member;
}

export { isGroup };

function groupKey(group: string, pattern: string): string {
  return `${group}\u0000${pattern}`;
}
