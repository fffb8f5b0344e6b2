/**
 * Topic names and patterns [protocol 3.1]. Pure and shared by the broker and
 * the SDK, so a client rejects a bad name before it ever reaches the wire.
 *
 * - A name is 1 to MAX_TOPIC_LENGTH characters of `/`-separated levels; no
 *   level is empty, and no character is `+`, `#`, a control character or DEL.
 * - A pattern is a name whose levels may also be exactly `+` (one level) or,
 *   as the last level only, exactly `#` (that level and any below it).
 * - Levels starting with `$` are broker topics; matching treats them apart
 *   (see topics/), validation does not.
 */

/** Longest topic name or pattern, in UTF-16 code units. */
export const MAX_TOPIC_LENGTH = 1024;

/** The reason `topic` is not a valid topic name, or undefined when it is. */
export function topicNameError(topic: unknown): string | undefined {
  if (typeof topic !== 'string') return 'topic must be a string';
  return levelsError(topic, false);
}

/** The reason `pattern` is not a valid subscription pattern, or undefined when it is. */
export function topicPatternError(pattern: unknown): string | undefined {
  if (typeof pattern !== 'string') return 'pattern must be a string';
  return levelsError(pattern, true);
}

function levelsError(text: string, isPattern: boolean): string | undefined {
  const what = isPattern ? 'pattern' : 'topic';
  if (text.length === 0) return `${what} is empty`;
  if (text.length > MAX_TOPIC_LENGTH) return `${what} is longer than ${MAX_TOPIC_LENGTH} characters`;
  let levelStart = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2f; // a virtual '/' ends the last level
    if (c === 0x2f) {
      if (i === levelStart) return `${what} '${text}' has an empty level`;
      levelStart = i + 1;
      continue;
    }
    if (c < 0x20 || c === 0x7f) return `${what} has a control character at ${i}`;
    if (c !== 0x2b && c !== 0x23) continue; // not '+' or '#'
    const isWholeLevel = i === levelStart && (i + 1 === text.length || text.charCodeAt(i + 1) === 0x2f);
    if (!isPattern) return `topic '${text}' contains the wildcard '${text[i]}'; wildcards belong in patterns`;
    if (!isWholeLevel) return `pattern '${text}': a wildcard must be a whole level`;
    if (c === 0x23 && i + 1 !== text.length) return `pattern '${text}': '#' must be the last level`;
  }
  return undefined;
}

/** First level of reply inboxes [protocol 3.3]: `$inbox/<inbox id>/<token>`. */
export const INBOX_ROOT = '$inbox';
/** What every inbox topic starts with: `$inbox/`. */
export const INBOX_PREFIX = `${INBOX_ROOT}/`;

/**
 * Subscription id under which a connection receives what is published to its
 * inbox, `$inbox/<inbox id>/#`, without subscribing [protocol 3.3].
 */
export const INBOX_SUB_ID = 0;

/** True when the first level of `topic` starts with `$` (a broker topic). */
export function isBrokerTopic(topic: string): boolean {
  return topic.charCodeAt(0) === 0x24;
}
