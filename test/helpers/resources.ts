import { afterEach } from 'vitest';

/** Anything a test opens and must release: a client, a broker, a socket, a process. */
export type Cleanup = () => unknown | Promise<unknown>;

/**
 * A list of things to release after each test, newest first. Register with
 * `track(resource, cleanup)`; errors during cleanup are collected and do not
 * stop the other cleanups (a client already closed by the test is fine).
 */
export class Resources {
  private readonly cleanups: Cleanup[] = [];

  /** Registers `cleanup` and returns `resource` unchanged, so it can wrap a creation. */
  track<T>(resource: T, cleanup: (resource: T) => unknown | Promise<unknown>): T {
    this.cleanups.push(() => cleanup(resource));
    return resource;
  }

  /** Registers a plain cleanup function. */
  defer(cleanup: Cleanup): void {
    this.cleanups.push(cleanup);
  }

  /**
   * Runs every cleanup, newest first, and empties the list. A failing cleanup
   * does not stop the others (after a failed test, half the resources may be
   * closed already); its error is ignored on purpose: the point is to leak
   * nothing, not to fail a test twice.
   */
  async release(): Promise<void> {
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch {
        // see above
      }
    }
  }
}

/**
 * Creates a Resources list released after every test of the calling file:
 * `const res = useResources();` at the top of a describe or file, then
 * `res.track(await connect(url), (c) => c.close())` inside tests.
 */
export function useResources(): Resources {
  const resources = new Resources();
  afterEach(() => resources.release());
  return resources;
}
