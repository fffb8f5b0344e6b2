/**
 * Checks of causal and total order on what subscribers handled, beside the
 * per-publisher checks of verify.ts (lost, duplicated, reordered). Pure: fed
 * with the broker's metadata of each message (its `seq`, and `dep` and
 * `scope` from `msg.order`) in the order the handler ran them, first
 * receipts only (an at-least-once duplicate is not a second handling).
 *
 * - causal: a message m must run after every message with seq ≤ m.dep
 *   that this subscriber handles (the broker's dep bounds m's causal past,
 *   DESIGN-NOTES "why it is correct"); one handled later is a violation;
 * - total: within a scope, messages run in seq order (the broker is the
 *   sequencer), and every subscriber of the scope runs the ones they share
 *   in the same relative order.
 */

/** One subscriber's handled messages, in the order its handler ran them. */
export class HandledOrder {
  readonly seqs: number[] = [];
  /** `msg.order.dep`, or −1 for a message without order metadata (fifo). */
  readonly deps: number[] = [];
  /** `msg.order.scope`, or undefined (causal, fifo). */
  readonly scopes: Array<string | undefined> = [];

  record(seq: number, dep: number, scope: string | undefined): void {
    this.seqs.push(seq);
    this.deps.push(dep);
    this.scopes.push(scope);
  }

  get length(): number {
    return this.seqs.length;
  }
}

/** What {@link checkOrder} found, summed over subscribers. */
export interface OrderChecks {
  /** Messages handled before one of their causal past (seq ≤ dep) that the same subscriber handled later. */
  readonly causalViolations: number;
  /** Total-order messages handled after a higher seq of their scope (the scope's order is seq order). */
  readonly totalInversions: number;
  /** Shared total-order messages another subscriber handled in another relative order than the first one did. */
  readonly totalDisagreements: number;
  /** Handled messages checked (first receipts, every subscriber). */
  readonly checked: number;
}

/** Runs every check over the subscribers of one topic. */
export function checkOrder(subscribers: readonly HandledOrder[]): OrderChecks {
  let causalViolations = 0;
  let totalInversions = 0;
  let checked = 0;
  for (const handled of subscribers) {
    causalViolations += countCausalViolations(handled);
    totalInversions += countTotalInversions(handled);
    checked += handled.length;
  }
  const totals = subscribers.map((handled) => handled.seqs.filter((_, i) => handled.scopes[i] !== undefined));
  return { causalViolations, totalInversions, totalDisagreements: countDisagreements(totals), checked };
}

/**
 * Messages with a dep that ran before a message with seq ≤ dep which ran
 * later: a suffix minimum of seq, from the last handled back.
 */
export function countCausalViolations(handled: HandledOrder): number {
  let violations = 0;
  let lowestLater = Infinity;
  for (let i = handled.length - 1; i >= 0; i--) {
    const dep = handled.deps[i];
    if (dep >= 0 && lowestLater <= dep) violations++;
    lowestLater = Math.min(lowestLater, handled.seqs[i]);
  }
  return violations;
}

/** Scoped messages handled after a higher seq of the same scope. */
export function countTotalInversions(handled: HandledOrder): number {
  const highest = new Map<string, number>();
  let inversions = 0;
  for (let i = 0; i < handled.length; i++) {
    const scope = handled.scopes[i];
    if (scope === undefined) continue;
    const seq = handled.seqs[i];
    const before = highest.get(scope) ?? -1;
    if (seq < before) inversions++;
    else highest.set(scope, seq);
  }
  return inversions;
}

/**
 * Against the first sequence: in each other one, restricted to the seqs the
 * first also has, each step that goes back in the first's order. 0 when all
 * agree on the relative order of what they share.
 */
export function countDisagreements(sequences: readonly (readonly number[])[]): number {
  if (sequences.length < 2) return 0;
  const position = new Map<number, number>();
  sequences[0].forEach((seq, i) => position.set(seq, i));
  let disagreements = 0;
  for (const other of sequences.slice(1)) {
    let last = -1;
    for (const seq of other) {
      const at = position.get(seq);
      if (at === undefined) continue;
      if (at < last) disagreements++;
      else last = at;
    }
  }
  return disagreements;
}
