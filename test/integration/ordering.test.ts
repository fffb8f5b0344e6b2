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
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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

describe('causal order: predecessors that never come', () => {
  it('releases a dependent once its predecessor is dead-lettered after failing every delivery', async () => {
    const [a, c, p] = await Promise.all([client(), client(), client()]);
    const seen: string[] = [];
    c.on('error', () => undefined);
    await c.subscribe<string>('dl/a', () => { throw new Error('always fails'); }, { ...ALO, order: 'causal' });
    await c.subscribe<string>('dl/b', (m) => { seen.push(m.payload); }, { ...ALO, order: 'causal' });
    await a.subscribe<string>('dl/a', async (m) => { await a.publish('dl/b', `after ${m.payload}`, { ...ALO, order: 'causal' }); });
    await p.publish('dl/a', 'm1', { ...ALO, order: 'causal' });
    // The subscription queue's maxDeliveries is 10: the nack of the tenth delivery says it went to the dead letters.
    await waitFor(() => seen.length === 1, { timeoutMs: 10_000 });
    expect(seen).toEqual(['after m1']);
  });

  it('releases a dependent when the subscription holding its predecessor ends', async () => {
    const [a, c, p] = await Promise.all([client(), client(), client()]);
    const seen: string[] = [];
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => { release = resolve; });
    const subA = await c.subscribe<string>('un/a', async () => { await blocked; }, { ...ALO, order: 'causal' });
    await c.subscribe<string>('un/b', (m) => { seen.push(m.payload); }, { ...ALO, order: 'causal' });
    await a.subscribe<string>('un/a', async (m) => { await a.publish('un/b', `after ${m.payload}`, { ...ALO, order: 'causal' }); });
    await p.publish('un/a', 'm1', { ...ALO, order: 'causal' });
    await sleep(300);
    expect(seen).toEqual([]); // m1's handler has not finished: its dependent waits
    await subA.unsubscribe();
    release();
    await waitFor(() => seen.length === 1);
    expect(seen).toEqual(['after m1']);
  });
});

describe('total order', () => {
  it('every subscriber, whatever the shape of its subscriptions and prefetch, handles one scope in one order', async () => {
    const [p1, p2, wild, split] = await Promise.all([client(), client(), client(), client()]);
    const wildSeqs: number[] = [];
    const splitSeqs: number[] = [];
    await wild.subscribe('to/#', (m) => { wildSeqs.push(m.seq); }, { ...ALO, order: 'total', prefetch: 50 });
    // A slow subscription with a window of one beside a fast one: the classic way order breaks.
    await split.subscribe('to/a', async (m) => { await sleep(m.seq % 3 === 0 ? 5 : 0); splitSeqs.push(m.seq); }, { ...ALO, order: 'total', prefetch: 1 });
    await split.subscribe('to/b', (m) => { splitSeqs.push(m.seq); }, { order: 'total' });
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      sends.push(p1.publish(i % 2 === 0 ? 'to/a' : 'to/b', i, { ...ALO, order: 'total' }));
      sends.push(p2.publish(i % 3 === 0 ? 'to/a' : 'to/b', -i, { ...ALO, order: 'total' }));
    }
    await Promise.all(sends);
    await waitFor(() => wildSeqs.length === 400 && splitSeqs.length === 400, { timeoutMs: 20_000 });
    expect(splitSeqs).toEqual(wildSeqs);
    expect(wildSeqs).toEqual([...wildSeqs].sort((x, y) => x - y));
  });

  it('orders a queue\'s total-order messages for an ordered consumer', async () => {
    const [p, c] = await Promise.all([client(), client()]);
    const got: Message<number>[] = [];
    await c.consume<number>('ordered-jobs', (m) => { got.push(m); }, { order: 'total', prefetch: 5 });
    for (let i = 0; i < 20; i++) await p.send('ordered-jobs', i, { order: 'total' });
    await waitFor(() => got.length === 20);
    expect(got.map((m) => m.payload)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(got.every((m) => m.order?.scope === 'default')).toBe(true);
  });
});

describe('one message on several of a client\'s ordered subscriptions', () => {
  it.each(['at-most-once', 'at-least-once', 'exactly-once'] as const)('each subscription handles each message, in order (%s)', async (qos) => {
    const [p, c] = await Promise.all([client(), client()]);
    const got: Record<string, string[]> = { wide: [], narrow: [] };
    const handler = (name: string) => async (m: Message<string>): Promise<void> => {
      got[name].push(m.payload);
      if (m.payload === 'm0') await sleep(100);
    };
    await c.subscribe(`overlap-${qos}/#`, handler('wide'), { qos, order: 'causal' });
    await c.subscribe(`overlap-${qos}/x`, handler('narrow'), { qos, order: 'causal' });
    const publishQos = qos === 'exactly-once' ? 'at-least-once' : qos;
    for (const payload of ['m0', 'm1', 'm2']) await p.publish(`overlap-${qos}/x`, payload, { qos: publishQos, order: 'causal' });
    await waitFor(() => got.wide.length === 3 && got.narrow.length === 3);
    expect(got).toEqual({ wide: ['m0', 'm1', 'm2'], narrow: ['m0', 'm1', 'm2'] });
    if (qos !== 'at-most-once') {
      // Settles travel after the handlers return: every delivery is settled soon after.
      const unacked = async (): Promise<number> => (await c.listQueues()).filter((q) => q.pattern?.startsWith(`overlap-${qos}/`)).reduce((n, q) => n + q.unacked, 0);
      await waitFor(async () => await unacked() === 0, { timeoutMs: 3000 });
    }
  });
});

describe('a nacked delivery that does not come back', () => {
  it('stops blocking when its nack is refused (its ack deadline had passed) and it left its queue', async () => {
    const [p, c] = await Promise.all([client(), client()]);
    c.on('error', () => undefined);
    await p.createQueue('late-nack', { ackDeadlineMs: 200, maxDeliveries: 1 });
    const seen: string[] = [];
    await c.consume<string>('late-nack', async (m) => {
      seen.push(m.payload);
      if (m.payload === 'm1') {
        await sleep(500);
        throw new Error('fails after its deadline');
      }
    }, { order: 'causal' });
    await p.send('late-nack', 'm1', { order: 'causal' });
    await sleep(800);
    await p.send('late-nack', 'm2', { order: 'causal' });
    await waitFor(() => seen.length === 2, { timeoutMs: 5_000 });
    expect(seen).toEqual(['m1', 'm2']);
  });
});

describe('delays on an ordered consumer', () => {
  it('a delayed message with a lower id holds the consumer up until it is ready, then both run: no window deadlock', async () => {
    const [p, c] = await Promise.all([client(), client()]);
    await p.send('delayed-first', 'f1', { delayMs: 300 });
    await p.send('delayed-first', 'm2', { order: 'causal' });
    const seen: string[] = [];
    await c.consume<string>('delayed-first', (m) => { seen.push(m.payload); }, { qos: 'exactly-once', order: 'causal', prefetch: 1 });
    await waitFor(() => seen.length === 2, { timeoutMs: 5_000 });
    expect(seen).toEqual(['f1', 'm2']);
  });
});

describe('priorities on an ordered consumer', () => {
  it('takes a queue\'s messages in id order, so a high-priority one never fills its window waiting for lower ids', async () => {
    const [p, c] = await Promise.all([client(), client()]);
    await p.createQueue('prio-ordered', { ackDeadlineMs: 500, maxDeliveries: 3 });
    await p.send('prio-ordered', 'low', { order: 'total' });
    for (let i = 0; i < 4; i++) await p.send('prio-ordered', `high ${i}`, { priority: 5 });
    const got: { payload: string; deliveries: number }[] = [];
    await c.consume<string>('prio-ordered', async (m) => { await sleep(20); got.push({ payload: m.payload, deliveries: m.deliveries }); }, { order: 'total', prefetch: 2 });
    await waitFor(() => got.length === 5, { timeoutMs: 5_000 });
    expect(got.map((g) => g.payload)).toEqual(['low', 'high 0', 'high 1', 'high 2', 'high 3']);
    expect(got.every((g) => g.deliveries === 1)).toBe(true);
  });
});

describe('fifo: a redelivery is not overtaken [semantics 2.1]', () => {
  it('on an ordered consumer, a fifo message does not overtake its publisher\'s earlier ordered ones', async () => {
    const [p, c] = await Promise.all([client(), client()]);
    await p.send('mixed-jobs', 'x', { order: 'total' });
    await p.send('mixed-jobs', 'y', { order: 'causal' });
    await p.send('mixed-jobs', 'z');
    const got: string[] = [];
    await c.consume<string>('mixed-jobs', (m) => { got.push(m.payload); }, { order: 'total' });
    await waitFor(() => got.length === 3);
    expect(got).toEqual(['x', 'y', 'z']);
  });

  it.each([
    ['at-least-once, trickling', 'at-least-once', 5],
    ['exactly-once, in a burst', 'exactly-once', 0],
  ] as const)('keeps publish order when one fails once (%s)', async (_name, qos, gapMs) => {
    const [p, c] = await Promise.all([shared.client({ clientId: `fifo-${qos}` }), client()]);
    const topic = `fifo/${qos}`;
    const handled: number[] = [];
    let failed = false;
    c.on('error', () => undefined);
    await c.subscribe<number>(topic, (m) => {
      if (m.payload === 3 && !failed) {
        failed = true;
        throw new Error('fails once');
      }
      handled.push(m.payload);
    }, { qos, prefetch: 50 });
    for (let i = 0; i < 40; i++) {
      await p.publish(topic, i, { qos });
      if (gapMs > 0) await sleep(gapMs);
    }
    await waitFor(() => handled.length === 40, { timeoutMs: 10_000 });
    expect(failed).toBe(true);
    expect(handled).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('handles the messages of a subscription with a wide window in publish order though one fails once', async () => {
    const [p, c] = await Promise.all([client(), client()]);
    const handled: number[] = [];
    let failed = false;
    c.on('error', () => undefined);
    await c.subscribe<number>('fifo/x', (m) => {
      if (m.payload === 3 && !failed) {
        failed = true;
        throw new Error('fails once');
      }
      handled.push(m.payload);
    }, { ...ALO, prefetch: 50 });
    for (let i = 0; i < 30; i++) await p.publish('fifo/x', i, ALO);
    await waitFor(() => handled.length === 30);
    expect(failed).toBe(true);
    expect(handled).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });
});

describe('flow control on subscriptions', () => {
  it('an at-least-once subscription holds at most its prefetch window unacked, ordered or not', async () => {
    const [p, c] = await Promise.all([client(), client()]);
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => { release = resolve; });
    const handled: number[] = [];
    const sub = await c.subscribe<number>('window/x', async (m) => { await blocked; handled.push(m.payload); }, { ...ALO, order: 'causal', prefetch: 3 });
    for (let i = 0; i < 20; i++) await p.publish('window/x', i, { ...ALO, order: 'causal' });
    await waitFor(async () => (await c.listQueues()).find((q) => q.name === sub.queueName)?.unacked === 3);
    await sleep(200);
    const info = (await c.listQueues()).find((q) => q.name === sub.queueName)!;
    expect(info.unacked).toBe(3);
    expect(info.ready).toBe(17);
    release();
    await waitFor(() => handled.length === 20);
    expect(handled).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});

describe('causal publishes across a reconnect', () => {
  it('an at-most-once publish buffered while disconnected keeps its place before a later at-least-once one', async () => {
    const [s, p] = await Promise.all([client(), shared.client({ reconnect: true, reconnectDelayMs: 200 })]);
    const seen: Message<string>[] = [];
    await s.subscribe<string>('reconnect/causal', (m) => { seen.push(m); }, { order: 'causal' });
    (p as unknown as { transport: { terminate(reason: string): void } }).transport.terminate('cut by the test');
    await waitFor(() => p.state === 'reconnecting');
    const a = p.publish('reconnect/causal', 'A', { order: 'causal' });
    const b = p.publish('reconnect/causal', 'B', { qos: 'at-least-once', order: 'causal' });
    await Promise.all([a, b]);
    await waitFor(() => seen.length === 2);
    expect(seen.map((m) => m.payload)).toEqual(['A', 'B']);
    expect(seen[1].seq).toBeGreaterThan(seen[0].seq);
    expect(seen[1].order!.dep).toBeGreaterThanOrEqual(seen[0].seq);
  });
});
