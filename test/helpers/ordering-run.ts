import type { Message, Subscription } from '../../client/index.js';

/**
 * Small tools of the ordering fault tests (causal and total order under
 * cut connections and broker kills): random pauses, a windowed producer,
 * a peek at what reaches a subscription before the hold-back, and the
 * comparisons the tests assert with.
 */

export { between, produce, sleep } from './load.js';

/**
 * Calls `onArrival` with every delivery `sub` receives, as it arrives from
 * the broker: before the client's hold-back decides when its handler runs.
 * (Wraps the subscription's internal `push`, which the client calls for each
 * delivery; nothing else changes.)
 */
export function watchArrivals<T>(sub: Subscription<T>, onArrival: (msg: Message<T>) => void): void {
  const push = sub.push.bind(sub);
  sub.push = (msg: Message<T>): void => {
    onArrival(msg);
    push(msg);
  };
}

/** `items` without repeats, each kept at its first occurrence. */
export function firstOccurrences<T>(items: readonly T[]): T[] {
  const seen = new Set<T>();
  return items.filter((item) => (seen.has(item) ? false : (seen.add(item), true)));
}

/** Where `a` and `b` first differ (-1 when they are equal), with both sides around it, for a failure message. */
export function firstDivergence<T>(a: readonly T[], b: readonly T[]): { index: number; context: string } {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) {
      const from = Math.max(0, i - 3);
      return {
        index: i,
        context: `at index ${i} (lengths ${a.length} and ${b.length}): ` +
          `[${a.slice(from, i + 4).join(', ')}] vs [${b.slice(from, i + 4).join(', ')}]`,
      };
    }
  }
  return { index: -1, context: 'equal' };
}

/**
 * For a failure's story: what a client's causal/total hold-back holds and why
 * its oldest held message waits (white-box: reads the client's internal
 * OrderedDelivery, for diagnostics only, never for an assertion).
 */
export function holdBackState(client: object): string {
  const ordering = (client as { ordering?: { heldCount: number; waitingFor(): unknown } }).ordering;
  if (ordering === undefined) return 'no hold-back';
  return `${ordering.heldCount} held, waiting: ${JSON.stringify(ordering.waitingFor()) ?? 'nothing'}`;
}

/** Where each of `seqs` first occurs in `sequence` (index, or 'never'), for a divergence's story. */
export function positionsOf(sequence: readonly number[], seqs: readonly number[]): string {
  return seqs.map((s) => `${s}@${sequence.indexOf(s) === -1 ? 'never' : sequence.indexOf(s)}`).join(' ');
}
