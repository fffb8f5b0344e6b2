/** Options of waitFor. */
export interface WaitForOptions {
  /** Give up after this many ms. Default 5000. */
  timeoutMs?: number;
  /** Poll this often, in ms. Default 10. */
  intervalMs?: number;
}

/**
 * Polls `condition` until it returns (or resolves to) true; rejects after
 * `timeoutMs` with `message` (or a generic one). Tests use this instead of
 * fixed sleeps. A condition that throws is treated as false until the end;
 * the last thrown error is attached to the timeout error as its cause.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  { timeoutMs = 5000, intervalMs = 10 }: WaitForOptions = {},
  message?: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await condition()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`waitFor timed out after ${timeoutMs} ms: ${message ?? String(condition)}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
