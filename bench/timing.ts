/** Small time helpers shared by targets and workloads. */
import { setTimeout as delay } from 'node:timers/promises';

/** A step of the harness that did not finish within its bound. */
export class BenchTimeoutError extends Error {
  override readonly name = 'BenchTimeoutError';
  constructor(
    /** What was being waited for, e.g. `nats: start`. */
    readonly what: string,
    /** The bound that passed, ms. */
    readonly ms: number,
  ) {
    super(`${what}: no result after ${ms} ms`);
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return delay(ms);
}

/** Resolves on the next turn of the event loop, after pending I/O callbacks. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Settles like `promise`, or rejects with {@link BenchTimeoutError} after `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BenchTimeoutError(what, ms)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Milliseconds left until `deadline` (a `performance.now()` value), at least 0. */
export function remainingMs(deadline: number): number {
  return Math.max(0, deadline - performance.now());
}

/** Describes any thrown value in one line. */
export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
