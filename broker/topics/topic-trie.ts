/**
 * A subscription trie over `/`-separated topic levels, after nats-server's
 * sublist: each node keeps its literal children in a Map and its `+` and `#`
 * children in dedicated fields, so matching a topic visits only the branches
 * that can match it and never scans the subscription list.
 */

/** Code unit of `$`, which starts a broker topic's first level. */
const DOLLAR = 0x24;

/**
 * One level of the trie. Every field is always present (maybe undefined) so
 * all nodes share one hidden class and property access in match() stays
 * monomorphic. Maps and Sets are created lazily: most nodes of a large trie
 * are leaves of literal patterns and need only one of them.
 */
class TrieNode<T> {
  /** Children for literal levels, keyed by the level text. */
  literal: Map<string, TrieNode<T>> | undefined = undefined;
  /** Child for a `+` level. */
  plus: TrieNode<T> | undefined = undefined;
  /**
   * Values of patterns ending in `#` at this depth. `#` can only be the last
   * level, so its child would never have children of its own: the Set is the
   * whole child.
   */
  hash: Set<T> | undefined = undefined;
  /** Values of patterns that end exactly at this node. */
  values: Set<T> | undefined = undefined;

  get isEmpty(): boolean {
    return this.literal === undefined && this.plus === undefined && this.hash === undefined && this.values === undefined;
  }
}

/** How a node hangs from its parent, recorded by remove() to prune upward. */
interface PathStep<T> {
  parent: TrieNode<T>;
  /** The literal level, or undefined for the `+` child. */
  key: string | undefined;
}

/**
 * Maps subscription patterns to values and finds the values whose pattern
 * matches a topic. Patterns must already be valid (see protocol/topic-names);
 * the trie does not check them.
 *
 * Matching rules [protocol 3.2]:
 * - `+` matches exactly one level.
 * - `#` (last level only) matches its own level and any number of levels
 *   below, including none: `a/#` matches `a`, `a/b` and `a/b/c`.
 * - A topic whose first level starts with `$` is matched only by patterns
 *   that spell that first level literally (`$sys/#`), never by a leading
 *   `+` or `#`, so `#` subscribers do not see broker traffic.
 *
 * Values are compared by identity (SameValueZero), as by a Set.
 */
export class TopicTrie<T> {
  private readonly root = new TrieNode<T>();
  private registrations = 0;

  /** Number of distinct (pattern, value) registrations. */
  get size(): number {
    return this.registrations;
  }

  /**
   * True when the trie holds no nodes besides an empty root. Tests use it to
   * check that remove() prunes everything add() built, i.e. that churn does
   * not leak nodes.
   */
  get isEmpty(): boolean {
    return this.root.isEmpty;
  }

  /**
   * Registers `value` under `pattern`. Adding the same pair again is a no-op,
   * so a retried SUBSCRIBE does not cause duplicate deliveries.
   */
  add(pattern: string, value: T): void {
    let node = this.root;
    let start = 0;
    for (;;) {
      let end = pattern.indexOf('/', start);
      if (end === -1) end = pattern.length;
      const level = pattern.slice(start, end);
      if (level === '#') {
        // '#' is always last, so it terminates the walk here.
        node.hash ??= new Set();
        this.addTo(node.hash, value);
        return;
      }
      node = level === '+' ? (node.plus ??= new TrieNode()) : childFor(node, level);
      if (end === pattern.length) break;
      start = end + 1;
    }
    node.values ??= new Set();
    this.addTo(node.values, value);
  }

  /**
   * Unregisters `value` from `pattern` and prunes the nodes this leaves
   * empty, so a long-running broker with subscription churn keeps only the
   * nodes of live patterns. Returns false when the pair was not registered.
   */
  remove(pattern: string, value: T): boolean {
    const path: PathStep<T>[] = [];
    let node = this.root;
    let start = 0;
    let isHash = false;
    for (;;) {
      let end = pattern.indexOf('/', start);
      if (end === -1) end = pattern.length;
      const level = pattern.slice(start, end);
      if (level === '#') {
        isHash = true;
        break;
      }
      const key = level === '+' ? undefined : level;
      const next = key === undefined ? node.plus : node.literal?.get(key);
      if (next === undefined) return false;
      path.push({ parent: node, key });
      node = next;
      if (end === pattern.length) break;
      start = end + 1;
    }

    const set = isHash ? node.hash : node.values;
    if (set === undefined || !set.delete(value)) return false;
    this.registrations--;
    if (set.size === 0) {
      if (isHash) node.hash = undefined;
      else node.values = undefined;
    }
    this.prune(node, path);
    return true;
  }

  /**
   * Pushes onto `out` every value whose pattern matches `topic` (a valid
   * topic name). A value registered under several matching patterns is pushed
   * once per pattern: each is a subscription that gets its own delivery.
   * `out` is filled, not replaced, so a hot caller can reuse one array.
   */
  match(topic: string, out: T[]): void {
    if (topic.charCodeAt(0) !== DOLLAR) {
      matchFrom(this.root, topic, 0, out);
      return;
    }
    // Broker topic: consume the first level here, skipping the root's `+`
    // and `#` children, which must not see it [protocol 3.2].
    let end = topic.indexOf('/');
    if (end === -1) end = topic.length;
    const next = this.root.literal?.get(topic.slice(0, end));
    if (next !== undefined) matchFrom(next, topic, end + 1, out);
  }

  private addTo(set: Set<T>, value: T): void {
    const before = set.size;
    set.add(value);
    if (set.size !== before) this.registrations++;
  }

  /** Detaches `node` and then each ancestor on `path` that is left empty. */
  private prune(node: TrieNode<T>, path: PathStep<T>[]): void {
    for (let i = path.length - 1; i >= 0 && node.isEmpty; i--) {
      const { parent, key } = path[i];
      if (key === undefined) {
        parent.plus = undefined;
      } else {
        const literal = parent.literal!;
        literal.delete(key);
        if (literal.size === 0) parent.literal = undefined;
      }
      node = parent;
    }
  }
}

function childFor<T>(node: TrieNode<T>, level: string): TrieNode<T> {
  node.literal ??= new Map();
  let child = node.literal.get(level);
  if (child === undefined) {
    child = new TrieNode();
    node.literal.set(level, child);
  }
  return child;
}

/**
 * Matches the levels of `topic` from index `start` against the subtree at
 * `node`. `start === topic.length + 1` means every level has been consumed.
 * The literal path is followed in a loop; only `+` branches recurse, so the
 * stack depth is bounded by the number of `+` levels on one path.
 */
function matchFrom<T>(node: TrieNode<T>, topic: string, start: number, out: T[]): void {
  for (;;) {
    // `#` here matches the rest of the topic, whether or not any is left.
    if (node.hash !== undefined) pushAll(node.hash, out);
    if (start > topic.length) {
      if (node.values !== undefined) pushAll(node.values, out);
      return;
    }
    let end = topic.indexOf('/', start);
    if (end === -1) end = topic.length;
    if (node.plus !== undefined) matchFrom(node.plus, topic, end + 1, out);
    if (node.literal === undefined) return;
    const next = node.literal.get(topic.slice(start, end));
    if (next === undefined) return;
    node = next;
    start = end + 1;
  }
}

function pushAll<T>(values: Set<T>, out: T[]): void {
  for (const value of values) out.push(value);
}
