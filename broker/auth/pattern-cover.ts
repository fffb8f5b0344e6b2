/**
 * Pattern cover: does one grant allow a whole subscription? The ACL admits a
 * wildcard subscription only when one granted pattern matches everything the
 * subscription can match, never by narrowing it silently.
 */

/**
 * True when every topic name that the valid pattern `pattern` matches is also
 * matched by the valid pattern `grant`, under the rules of patternMatches
 * [protocol 3.2]: `+` one level, a final `#` zero or more levels, and a
 * leading wildcard never matches a first level starting with `$`.
 *
 * Walks both level by level. The topic alphabet is unbounded, so a `+` or
 * `#` in the pattern always matches some level a literal grant level lacks.
 */
export function patternCovers(grant: string, pattern: string): boolean {
  const g = grant.split('/');
  const p = pattern.split('/');
  for (let i = 0; ; i++) {
    if (g[i] === '#') {
      // `#` takes the rest, from zero levels on, except a `$` first level.
      return i > 0 || !startsBrokerTopic(p[0]);
    }
    // A pattern `#` here matches any number of further levels, so only a
    // grant `#` covers it, except at the start: a topic has at least one
    // level, so a leading `#` means one or more and `+/#` covers it too.
    if (p[i] === '#') return i === 0 && g.length === 2 && g[0] === '+' && g[1] === '#';
    const isGrantDone = i >= g.length;
    const isPatternDone = i >= p.length;
    if (isGrantDone || isPatternDone) return isGrantDone && isPatternDone;
    if (g[i] === '+') {
      if (i === 0 && startsBrokerTopic(p[0])) return false;
      continue;
    }
    if (g[i] !== p[i]) return false; // a different literal, or a `+` matching more than this literal
  }
}

/** True when `level` is a literal first level naming a broker topic (`$...`). */
function startsBrokerTopic(level: string): boolean {
  return level.charCodeAt(0) === 0x24;
}
