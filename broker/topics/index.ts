/**
 * topics/: subscription matching over `/`-separated topic levels.
 *
 * Invariants:
 * - Pure: no I/O, no timers, no randomness, no imports from other modules.
 *   Validation of names and patterns lives in protocol/ (it is part of the
 *   wire contract); callers validate before they add or match, and the
 *   trie trusts its input.
 * - TopicTrie and patternMatches implement the same rules [protocol 3.2]
 *   (`+` one level; final `#` zero or more levels; a `$` first level is not
 *   matched by a leading wildcard). A property test holds them equal.
 * - match() reports one value per matching (pattern, value) registration;
 *   deduplicating deliveries, if wanted, is the caller's decision.
 * - remove() leaves no empty nodes behind: memory follows live patterns,
 *   not subscription history.
 */
export { TopicTrie } from './topic-trie.js';
export { patternMatches } from './pattern-matches.js';
