import vm from 'node:vm';

/**
 * Runs synchronous code under a time limit. A decoder stuck in a loop never
 * yields, so no timer can fire; node:vm's timeout stops any JavaScript the
 * script calls, host functions included (a watchdog thread terminates the
 * execution). Starting the watchdog costs about 0.1 ms: box batches of
 * work, not single frames.
 */
const context = vm.createContext({ task: (): void => undefined });
const script = new vm.Script('task()');

/** Thrown when `fn` ran longer than its limit. */
export class TimeBoxExceeded extends Error {}

/** Runs `fn`; throws TimeBoxExceeded when it takes longer than `ms`. Errors `fn` throws pass through. */
export function runTimeBoxed(fn: () => void, ms: number): void {
  (context as { task: () => void }).task = fn;
  try {
    script.runInContext(context, { timeout: ms });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new TimeBoxExceeded(`ran longer than ${ms} ms`);
    throw err;
  }
}
