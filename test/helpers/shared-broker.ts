import { afterAll, beforeAll } from 'vitest';
import { connect, type ConnectOptions, type OrdoClient } from '../../client/index.js';
import { startTestBroker, type TestBroker } from './broker.js';
import type { Resources } from './resources.js';

/** One broker for every test of a file, and SDK clients closed after each test. */
export interface SharedBroker {
  /** The broker (valid inside tests). */
  readonly broker: TestBroker;
  /** A client of it (no reconnect unless asked), closed after the test. */
  client(options?: ConnectOptions): Promise<OrdoClient>;
}

/** Starts a broker before the file's tests and stops it after them. */
export function useSharedBroker(res: Resources): SharedBroker {
  let broker: TestBroker | undefined;
  beforeAll(async () => { broker = await startTestBroker(); });
  afterAll(async () => { await broker?.cleanup(); });
  return {
    get broker(): TestBroker {
      if (broker === undefined) throw new Error('the shared broker is used outside a test');
      return broker;
    },
    async client(options = {}) {
      return res.track(await connect(this.broker.url, { reconnect: false, ...options }), (c) => c.close());
    },
  };
}
