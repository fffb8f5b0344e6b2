import { expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { startTestBroker } from '../helpers/broker.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * A total-order subscription whose handler is slow once (async, 300 ms)
 * and synchronous afterwards. The 5,000 messages that arrive meanwhile are held
 * behind the slow one; when it finishes they are released one by one, each
 * synchronous handler run releasing the next from inside the previous one:
 * the release must loop, not recurse (it once overflowed the stack).
 */
const res = useResources();
it('releases a long held backlog to a synchronous handler', async () => {
  const broker = res.track(await startTestBroker(), (b) => b.cleanup());
  const c = res.track(await connect(broker.url, { reconnect: false }), (x) => x.close());
  const errors: string[] = [];
  c.on('error', (err) => errors.push(String(err)));
  const handled: number[] = [];
  await c.subscribe<number>('t', (m) => {
    if (handled.length === 0 && m.payload === 0) return new Promise<void>((r) => setTimeout(() => { handled.push(m.payload); r(); }, 300));
    handled.push(m.payload);
  }, { order: 'total' });
  const p = res.track(await connect(broker.url, { reconnect: false }), (x) => x.close());
  const N = 5000;
  for (let i = 0; i < N; i++) void p.publish('t', i, { order: 'total' });
  await p.flush();
  await waitFor(() => handled.length === N || errors.length > 0, { timeoutMs: 10_000 }).catch(() => undefined);
  console.log(`handled ${handled.length}, errors: ${errors.slice(0, 2).join('; ')}`);
  expect(errors).toEqual([]);
  expect(handled.length).toBe(N);
}, 30_000);
