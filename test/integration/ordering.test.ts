import { describe, expect, it } from 'vitest';
import { type Message, type OrdoClient } from '../../client/index.js';
import { useResources } from '../helpers/resources.js';
import { useSharedBroker } from '../helpers/shared-broker.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Causal and total order (issue 5) end to end through the SDK, against a real
 * broker: the hold-back across subscriptions, PENDING, and redeliveries.
 */

const res = useResources();
const shared = useSharedBroker(res);
const ALO = { qos: 'at-least-once' } as const;

const client = (): Promise<OrdoClient> => shared.client();

describe('causal order', () => {
  it('delivers m1 before m2 when m2 was published after receiving m1, though m1 comes again after a nack', async () => {
    const [a, c, p] = await Promise.all([client(), client(), client()]);
    const seen: string[] = [];
    let failures = 0;
    await c.subscribe<string>('q/a', (m) => {
      if (failures++ === 0) throw new Error('first delivery fails');
      seen.push(m.payload);
    }, { ...ALO, order: 'causal' });
    await c.subscribe<string>('q/b', (m) => { seen.push(m.payload); }, { ...ALO, order: 'causal' });
    await a.subscribe<string>('q/a', async (m) => {
      await a.publish('q/b', `reply to ${m.payload}`, { ...ALO, order: 'causal' });
    });
    c.on('error', () => undefined);
    await p.publish('q/a', 'm1', { ...ALO, order: 'causal' });
    await waitFor(() => seen.length === 2);
    expect(seen).toEqual(['m1', 'reply to m1']);
  });

  it('exposes ordering metadata: dep covers what the publisher saw', async () => {
    const [c, p] = await Promise.all([client(), client()]);
    const got: Message[] = [];
    await c.subscribe('meta/#', (m) => { got.push(m); }, { order: 'causal' });
    await p.publish('meta/x', 1, { ...ALO, order: 'causal' });
    await p.publish('meta/y', 2, { order: 'total' });
    await waitFor(() => got.length === 2);
    expect(got[0].order?.dep).toBeLessThan(got[0].seq);
    expect(got[1].order).toEqual({ dep: got[0].seq, scope: 'default' });
  });
});
