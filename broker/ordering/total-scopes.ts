import { patternMatches } from '../topics/index.js';

/** The scope of a total-order message no configured pattern matches. */
export const DEFAULT_SCOPE = 'default';

/** Topics whose scope is remembered, at most: a cache, not a record. */
const CACHED_TOPICS = 10_000;

/**
 * Total-order scopes [semantics 2.3]: `ordering.scopes` names scopes by
 * topic pattern, in order; a topic belongs to the first scope whose pattern
 * matches it, and to DEFAULT_SCOPE when none does, so no message belongs to
 * two scopes. A message sent to a queue is placed by the queue's name, as
 * though it were a topic.
 */
export class TotalScopes {
  private readonly scopes: readonly (readonly [name: string, pattern: string])[];
  private readonly cache = new Map<string, string>();

  constructor(scopes: Readonly<Record<string, string>>) {
    this.scopes = Object.entries(scopes);
  }

  scopeOf(topic: string): string {
    const cached = this.cache.get(topic);
    if (cached !== undefined) return cached;
    const found = this.scopes.find(([, pattern]) => patternMatches(pattern, topic))?.[0] ?? DEFAULT_SCOPE;
    if (this.cache.size >= CACHED_TOPICS) this.cache.clear();
    this.cache.set(topic, found);
    return found;
  }
}
