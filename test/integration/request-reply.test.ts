import { describe, expect, it } from 'vitest';
import { connect, OrdoError, type OrdoClient } from '../../client/index.js';
import { startTestBroker } from '../helpers/broker.js';
import { useResources } from '../helpers/resources.js';
import { useSharedBroker } from '../helpers/shared-broker.js';
import { waitFor } from '../helpers/wait-for.js';

const res = useResources();
const shared = useSharedBroker(res);
const client = (): Promise<OrdoClient> => shared.client();

/** The OrdoError code a promise rejects with (fails the test if it resolves). */
async function rejectionCode(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e);
  expect(err).toBeInstanceOf(OrdoError);
  return (err as OrdoError).code;
}

describe('request/reply', () => {
  it('resolves request() with the reply of a reply() handler', async () => {
    const service = await client();
    const caller = await client();
    await service.reply<{ text: string }>('svc/echo', (m) => ({ echoed: m.payload.text, topic: m.topic }));
    const reply = await caller.request('svc/echo', { text: 'hi' }, { timeoutMs: 2000 });
    expect(reply.payload).toEqual({ echoed: 'hi', topic: 'svc/echo' });
  });

  it('awaits an async handler and passes request headers through', async () => {
    const service = await client();
    const caller = await client();
    await service.reply('svc/async', async (m) => {
      await Promise.resolve();
      return `${m.headers['x-user']}:${m.payload}`;
    });
    const reply = await caller.request('svc/async', 'q', { headers: { 'x-user': 'ann' } });
    expect(reply.payload).toBe('ann:q');
  });

  it('gives each of many concurrent requests its own reply', async () => {
    const service = await client();
    const callers = await Promise.all([client(), client()]);
    await service.reply<number>('svc/square', async (m) => {
      // Answer out of order: later requests sometimes reply first.
      if (m.payload % 3 === 0) await new Promise((r) => setImmediate(r));
      return m.payload * m.payload;
    });
    const n = 200;
    const replies = await Promise.all(Array.from({ length: n }, (_, i) => callers[i % 2].request<number>('svc/square', i)));
    expect(replies.map((r) => r.payload)).toEqual(Array.from({ length: n }, (_, i) => i * i));
  });

  it('lets a handler reply with bytes and with null', async () => {
    const service = await client();
    const caller = await client();
    await service.reply<string>('svc/kind', (m) => (m.payload === 'bytes' ? new Uint8Array([9, 8, 7]) : null));
    const bytes = await caller.request('svc/kind', 'bytes');
    expect(bytes.payload).toBeInstanceOf(Uint8Array);
    expect(Array.from(bytes.payload as Uint8Array)).toEqual([9, 8, 7]);
    expect((await caller.request('svc/kind', 'null')).payload).toBeNull();
  });

  it('rejects with ERR_TIMEOUT when the responder does not answer in time', async () => {
    const service = await client();
    const caller = await client();
    let release: () => void = () => undefined;
    await service.reply('svc/slow', () => new Promise<string>((resolve) => { release = () => resolve('late'); }));
    expect(await rejectionCode(caller.request('svc/slow', 1, { timeoutMs: 100 }))).toBe('ERR_TIMEOUT');
    release();
    // The late reply is ignored, and the client still works.
    await service.reply('svc/fast', () => 'ok');
    expect((await caller.request('svc/fast', 1)).payload).toBe('ok');
  });

  it('rejects with ERR_NO_RESPONDERS at once when nobody serves the topic', async () => {
    const caller = await client();
    // The timeout is long: only the broker's answer can settle this within the test timeout.
    expect(await rejectionCode(caller.request('svc/nobody', 1, { timeoutMs: 60_000 }))).toBe('ERR_NO_RESPONDERS');
  }, 5000);

  it('rejects with ERR_REMOTE carrying the message when the handler throws', async () => {
    const service = await client();
    const caller = await client();
    await service.reply('svc/fail', () => { throw new Error('database on fire'); });
    const err = await caller.request('svc/fail', 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OrdoError);
    expect((err as OrdoError).code).toBe('ERR_REMOTE');
    expect((err as OrdoError).message).toContain('database on fire');
  });

  it('keeps inboxes private: nothing under $inbox can be subscribed, not even one\'s own inbox', async () => {
    const victim = await client();
    const snoop = await client();
    expect(victim.inboxId).toMatch(/^[0-9a-f]{32}$/);
    expect(victim.inboxId).not.toBe(snoop.inboxId);
    expect(await rejectionCode(snoop.subscribe(`$inbox/${victim.inboxId}/#`, () => undefined))).toBe('ERR_FORBIDDEN');
    expect(await rejectionCode(snoop.subscribe(`$inbox/${victim.inboxId}`, () => undefined))).toBe('ERR_FORBIDDEN');
    expect(await rejectionCode(snoop.subscribe('$inbox/+/#', () => undefined))).toBe('ERR_FORBIDDEN');
    expect(await rejectionCode(snoop.subscribe('$inbox', () => undefined))).toBe('ERR_FORBIDDEN');
    expect(await rejectionCode(snoop.subscribe(`$inbox/${snoop.inboxId}/x`, () => undefined))).toBe('ERR_FORBIDDEN');
    // The snooper's connection is still usable: `$inboxes` is not an inbox.
    const other = await snoop.subscribe('$inboxes/x', () => undefined);
    await other.unsubscribe();
  });

  it('does not deliver another client\'s replies to a snooper that tried', async () => {
    const service = await client();
    const caller = await client();
    const snoop = await client();
    const seen: string[] = [];
    await snoop.subscribe('#', (m) => { seen.push(m.topic); });
    await snoop.subscribe(`$inbox/${caller.inboxId}/#`, () => undefined).catch(() => undefined);
    await service.reply('svc/private', () => 'secret');
    expect((await caller.request('svc/private', 1)).payload).toBe('secret');
    await caller.publish('svc/after', 1);
    await waitFor(() => seen.includes('svc/after'));
    expect(seen.filter((t) => t.startsWith('$'))).toEqual([]);
  });
});

describe('request/reply across a reconnect', () => {
  it('gives the reconnected client a new inbox, and requests work again', async () => {
    let own = await startTestBroker();
    const port = own.port;
    res.defer(() => own.cleanup());
    const service = res.track(await connect(own.url, { reconnectDelayMs: 20 }), (c) => c.close());
    const caller = res.track(await connect(own.url, { reconnectDelayMs: 20 }), (c) => c.close());
    await service.reply('svc/again', (m) => m.payload);
    const first = caller.inboxId;
    expect((await caller.request('svc/again', 1)).payload).toBe(1);
    await own.cleanup(); // closes it and removes its data dir: the deferred cleanup sees only the next broker
    own = await startTestBroker({ port });
    await waitFor(() => caller.state === 'connected' && service.state === 'connected');
    await service.flush();
    expect(caller.inboxId).not.toBe(first);
    expect((await caller.request('svc/again', 2)).payload).toBe(2);
  });
});
