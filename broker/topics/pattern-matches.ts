/**
 * The naive reference matcher: obviously correct, deliberately slow. Tests
 * use it as the model TopicTrie must agree with; the broker uses the trie.
 */

/**
 * True when the valid subscription `pattern` matches the valid topic name
 * `topic`, by the rules of [protocol 3.2]: `+` is exactly one level; a final
 * `#` is its own level and any below it, including none (`a/#` matches `a`);
 * a topic whose first level starts with `$` is not matched by a leading `+`
 * or `#`.
 */
export function patternMatches(pattern: string, topic: string): boolean {
  const patternLevels = pattern.split('/');
  const topicLevels = topic.split('/');
  const isWildFirst = patternLevels[0] === '+' || patternLevels[0] === '#';
  if (topicLevels[0].startsWith('$') && isWildFirst) return false;
  for (let i = 0; i < patternLevels.length; i++) {
    const level = patternLevels[i];
    // Checked before running out of topic levels: `#` may match zero levels.
    if (level === '#') return true;
    if (i >= topicLevels.length) return false;
    if (level !== '+' && level !== topicLevels[i]) return false;
  }
  return patternLevels.length === topicLevels.length;
}
