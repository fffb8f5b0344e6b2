/** Load for the fault tests: random pauses and a producer that keeps a window of operations in flight. */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A random number in [lo, hi). */
export const between = (lo: number, hi: number): number => lo + Math.random() * (hi - lo);

/** Runs `ops` operations (`op(j)` must not reject) keeping at most `window` of them unfinished. */
export async function produce(ops: number, window: number, op: (j: number) => Promise<void>): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  for (let j = 0; j < ops; j++) {
    const p: Promise<void> = op(j).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= window) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}
