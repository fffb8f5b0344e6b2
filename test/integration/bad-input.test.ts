import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, ERRORS, OrdoError, type OrdoClient } from '../../client/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { openRawSocket, pack, type Op, type RawSocket } from '../helpers/raw-socket.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Garbage on the socket [protocol 1.3, 2.9]: every case checks the exact
 * error code on the wire, the close status where the protocol closes, and
 * that a client connected before the garbage keeps publishing and
 * subscribing afterwards. One broker serves the whole file, so each case
 * also proves the previous ones left it healthy.
 */

const MAX_FRAME = 4096;
const OP = { hello: 1, publish: 2, subscribe: 3, unsubscribe: 4, ping: 5, stats: 6, send: 7, consume: 8, nack: 10 } as const;
const REPLY = { welcome: 64, ok: 65, error: 66, message: 67, pong: 68, pending: 69 } as const;

let broker: TestBroker;
let healthy: OrdoClient;
const healthyErrors: unknown[] = [];
const healthyDisconnects: unknown[] = [];

beforeAll(async () => {
  broker = await startTestBroker({ limits: { maxFrameBytes: MAX_FRAME } });
  healthy = await connect(broker.url, { reconnect: false, clientId: 'bystander' });
  healthy.on('error', (err) => { healthyErrors.push(err); });
  healthy.on('disconnect', (d) => { healthyDisconnects.push(d); });
});

afterAll(async () => {
  await healthy?.close();
  await broker?.cleanup();
});

const res = useResources();

async function rawSocket(): Promise<RawSocket> {
  return res.track(await openRawSocket(broker.url), (s) => s.close());
}

async function helloSocket(): Promise<RawSocket> {
  const s = await rawSocket();
  await s.hello();
  return s;
}

let healthCheck = 0;

/**
 * The bystander client, connected since before any garbage, still
 * subscribes, publishes and receives; the broker still welcomes newcomers.
 */
async function expectBrokerStillServes(): Promise<void> {
  expect(healthy.state).toBe('connected');
  const topic = `health/${++healthCheck}`;
  const got: unknown[] = [];
  const sub = await healthy.subscribe(topic, (m) => { got.push(m.payload); });
  await healthy.publish(topic, { check: healthCheck });
  await waitFor(() => got.length > 0, {}, `bystander receives on ${topic}`);
  await sub.unsubscribe();
  expect(got).toEqual([{ check: healthCheck }]);
  expect(healthyErrors).toEqual([]);
  expect(healthyDisconnects).toEqual([]);
  const newcomer = await openRawSocket(broker.url);
  expect((await newcomer.hello()).version).toBe(1);
  await newcomer.close();
}

/** The next ERR op; checks its shape and returns [reqId, code, message]. */
async function nextError(s: RawSocket): Promise<[number, string, string]> {
  const op = await s.nextOp((o) => o[0] === REPLY.error);
  expect(op).toHaveLength(4);
  const [, reqId, code, message] = op as [number, number, string, string];
  expect(typeof reqId).toBe('number');
  expect(code in ERRORS, `catalogued code ${code}`).toBe(true);
  expect(typeof message === 'string' && message.length > 0).toBe(true);
  return [reqId, code, message];
}

/** The connection answers a ping: it is open and in step. */
async function expectStillOpen(s: RawSocket, reqId = 999): Promise<void> {
  s.sendFrame([[OP.ping, reqId]]);
  await s.nextOp((o) => o[0] === REPLY.pong && o[1] === reqId);
  expect(s.isClosed).toBe(false);
}

/** The socket closes with `status`, after an ERR op with `code` (when given). */
async function expectFatal(s: RawSocket, code: string | undefined, status: number): Promise<void> {
  if (code !== undefined) {
    const [reqId, gotCode] = await nextError(s);
    expect(gotCode).toBe(code);
    expect(reqId).toBe(0);
  }
  const closed = await s.closed;
  expect(closed.code).toBe(status);
}

const payload = (v: unknown): Uint8Array => pack(v);

describe('frames that are not a MessagePack array: ERR_BAD_FRAME, close 1007', () => {
  it.each([
    ['text that is not MessagePack', new TextEncoder().encode('hello, broker: not msgpack')],
    ['a truncated array', new Uint8Array([0x93, 0x01])],
    ['an unknown extension type', new Uint8Array([0xd4, 0x01, 0x02])],
    ['an array followed by trailing bytes', new Uint8Array([0x90, 0x90])],
    ['no bytes at all', new Uint8Array(0)],
  ])('%s', async (_name, bytes) => {
    const s = await helloSocket();
    s.sendBytes(bytes);
    await expectFatal(s, 'ERR_BAD_FRAME', 1007);
    await expectBrokerStillServes();
  });

  it('non-MessagePack bytes before hello', async () => {
    const s = await rawSocket();
    s.sendBytes(new Uint8Array([0xc1, 0xff, 0x00, 0x13]));
    await expectFatal(s, 'ERR_BAD_FRAME', 1007);
    await expectBrokerStillServes();
  });

  it('a text WebSocket frame, even one holding a well-formed request', async () => {
    const s = await helloSocket();
    s.sendText(JSON.stringify([[OP.ping, 1]]));
    await expectFatal(s, 'ERR_BAD_FRAME', 1007);
    await expectBrokerStillServes();
  });

  it.each([
    ['a map', { ops: [[OP.ping, 1]] }],
    ['a number', 42],
    ['a string', 'ping'],
    ['nil', null],
    ['bin', new Uint8Array([0x91, 0x92, OP.ping, 1])],
  ])('valid MessagePack but %s', async (_name, value) => {
    const s = await helloSocket();
    s.sendBytes(pack(value));
    await expectFatal(s, 'ERR_BAD_FRAME', 1007);
    await expectBrokerStillServes();
  });
});

/**
 * msgpackr's structured-clone extensions (ext 0x69 id, 0x70 pointer) let a few
 * hundred bytes describe a graph of 2^depth values; decoding must refuse them
 * rather than build (and later walk) it.
 */
function exponentialGraph(depth: number): number[] {
  const id = (type: number, n: number): number[] => [0xd6, type, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  const level = (k: number): number[] => (k === 0
    ? [...id(0x69, 0), 0x91, 0x01]
    : [...id(0x69, k), 0x92, ...level(k - 1), ...id(0x70, k - 1)]);
  return level(depth);
}

describe('decompression bombs: refused, never expanded', () => {
  it('a 2^30-value shared graph (plus a trailing byte) before hello: ERR_BAD_FRAME', async () => {
    const s = await rawSocket();
    s.sendBytes(Uint8Array.from([...exponentialGraph(30), 0xc0]));
    await expectFatal(s, 'ERR_BAD_FRAME', 1007);
    await expectBrokerStillServes();
  });

  it('a shared graph inside publish headers (as a Set): ERR_BAD_FRAME', async () => {
    const s = await helloSocket();
    const head = pack([OP.publish, 3, 'bomb/t', new Uint8Array([0xc0])]);
    head[0] = 0x95; // five elements: the options map follows
    const options = [0x81, 0xa7, ...new TextEncoder().encode('headers'), 0xd4, 0x73, 0x00, 0x91, ...exponentialGraph(30)];
    s.sendBytes(Uint8Array.from([0x91, ...head, ...options]));
    await expectFatal(s, 'ERR_BAD_FRAME', 1007);
    await expectBrokerStillServes();
  });

  it('headers that decode to a Set, a Date or an array rather than a map: ERR_BAD_REQUEST', async () => {
    const s = await helloSocket();
    const head = pack([OP.publish, 4, 'bomb/t', new Uint8Array([0xc0])]);
    head[0] = 0x95;
    const setOfOne = [0xd4, 0x73, 0x00, 0x91, 0x01];
    s.sendBytes(Uint8Array.from([0x91, ...head, 0x81, 0xa7, ...new TextEncoder().encode('headers'), ...setOfOne]));
    const err = await s.nextOp((o) => o[0] === REPLY.error && o[1] === 4);
    expect(err[2]).toBe('ERR_BAD_REQUEST');
    s.sendFrame([[OP.publish, 5, 'bomb/t', new Uint8Array([0xc0]), { headers: new Date(0) }]]);
    expect((await s.nextOp((o) => o[0] === REPLY.error && o[1] === 5))[2]).toBe('ERR_BAD_REQUEST');
    s.sendFrame([[OP.publish, 6, 'bomb/t', new Uint8Array([0xc0]), { headers: ['a'] }]]);
    expect((await s.nextOp((o) => o[0] === REPLY.error && o[1] === 6))[2]).toBe('ERR_BAD_REQUEST');
    await expectBrokerStillServes();
  });
});

describe('operations of the wrong shape: an error naming the request, connection stays open', () => {
  it.each([
    ['a number', 42, 0],
    ['a string', 'publish', 0],
    ['a map', { op: 2 }, 0],
    ['nil', null, 0],
    ['an empty array', [], 0],
    ['an array whose code is a string', ['publish', 17, 'a', payload(1)], 17],
  ])('an operation that is %s gets ERR_BAD_REQUEST', async (_name, op, reqId) => {
    const s = await helloSocket();
    s.sendFrame([op]);
    const [gotReqId, code] = await nextError(s);
    expect(code).toBe('ERR_BAD_REQUEST');
    expect(gotReqId).toBe(reqId);
    await expectStillOpen(s);
    await expectBrokerStillServes();
  });

  it.each([
    ['an unused code', [99, 41]],
    ['a broker → client code', [REPLY.welcome, 42, {}]],
    ['a negative code', [-1, 43]],
    ['a fractional code', [2.5, 44]],
  ])('%s gets ERR_UNKNOWN_OP naming its reqId', async (_name, op) => {
    const s = await helloSocket();
    s.sendFrame([op]);
    const [reqId, code, message] = await nextError(s);
    expect(code).toBe('ERR_UNKNOWN_OP');
    expect(reqId).toBe(op[1]);
    expect(message).toContain(String(op[0]));
    await expectStillOpen(s);
    await expectBrokerStillServes();
  });

  it.each([
    ['publish: topic a number', [OP.publish, 51, 42, payload('x')]],
    ['publish: payload a string, not bin', [OP.publish, 52, 'a/b', 'x']],
    ['publish: payload missing', [OP.publish, 53, 'a/b']],
    ['publish: options a string', [OP.publish, 54, 'a/b', payload('x'), 'fast']],
    ['publish: unknown qos', [OP.publish, 55, 'a/b', payload('x'), { qos: 'sometimes' }]],
    ['publish: headers not strings', [OP.publish, 56, 'a/b', payload('x'), { headers: { n: 1 } }]],
    ['publish: too many fields', [OP.publish, 57, 'a/b', payload('x'), null, 'extra']],
    ['subscribe: subId 0', [OP.subscribe, 61, 0, 'a/b']],
    ['subscribe: subId a string', [OP.subscribe, 62, '1', 'a/b']],
    ['subscribe: pattern a number', [OP.subscribe, 63, 1, 7]],
    ['subscribe: options an array', [OP.subscribe, 64, 1, 'a/b', ['qos']]],
    ['subscribe: empty group', [OP.subscribe, 65, 1, 'a/b', { group: '' }]],
    ['unsubscribe: subId missing', [OP.unsubscribe, 71]],
    ['ping: extra field', [OP.ping, 81, 'x']],
    ['stats: reqId too large', [OP.stats, 2 ** 32]],
  ])('%s gets ERR_BAD_REQUEST naming its reqId', async (_name, op) => {
    const s = await helloSocket();
    s.sendFrame([op]);
    const [reqId, code] = await nextError(s);
    expect(code).toBe('ERR_BAD_REQUEST');
    // A reqId that is not a uint32 cannot be named: the error says 0.
    expect(reqId).toBe(Number.isInteger(op[1]) && (op[1] as number) < 2 ** 32 ? op[1] : 0);
    await expectStillOpen(s);
    await expectBrokerStillServes();
  });
});

describe('handshake [protocol 2.1]', () => {
  it('a first operation that is not hello: ERR_HANDSHAKE, close 1002', async () => {
    const s = await rawSocket();
    s.sendFrame([[OP.ping, 5]]);
    await expectFatal(s, 'ERR_HANDSHAKE', 1002);
    await expectBrokerStillServes();
  });

  it('a first operation that is not even an array: ERR_HANDSHAKE, close 1002', async () => {
    const s = await rawSocket();
    s.sendFrame(['hello']);
    await expectFatal(s, 'ERR_HANDSHAKE', 1002);
    await expectBrokerStillServes();
  });

  it('a publish before hello is not delivered', async () => {
    const got: unknown[] = [];
    const sub = await healthy.subscribe('early/bird', (m) => { got.push(m.payload); });
    const s = await rawSocket();
    s.sendFrame([[OP.publish, 1, 'early/bird', payload('too early')]]);
    await expectFatal(s, 'ERR_HANDSHAKE', 1002);
    await healthy.publish('early/bird', 'on time');
    await waitFor(() => got.length > 0);
    await sub.unsubscribe();
    expect(got).toEqual(['on time']);
    await expectBrokerStillServes();
  });

  it('a second hello: ERR_HANDSHAKE, close 1002', async () => {
    const s = await helloSocket();
    s.sendFrame([[OP.hello, { version: 1 }]]);
    await expectFatal(s, 'ERR_HANDSHAKE', 1002);
    await expectBrokerStillServes();
  });

  it('a hello and a second hello in one frame: welcome, then ERR_HANDSHAKE, close 1002', async () => {
    const s = await rawSocket();
    s.sendFrame([[OP.hello, { version: 1 }], [OP.hello, { version: 1 }]]);
    await s.nextOp((o) => o[0] === REPLY.welcome);
    await expectFatal(s, 'ERR_HANDSHAKE', 1002);
    await expectBrokerStillServes();
  });

  it.each([
    ['a number', [OP.hello, 1]],
    ['without version', [OP.hello, { clientId: 'x' }]],
    ['with a string version', [OP.hello, { version: '1' }]],
    ['with a clientId that is not a string', [OP.hello, { version: 1, clientId: 7 }]],
  ])('a malformed hello (%s): ERR_HANDSHAKE, close 1002', async (_name, op) => {
    const s = await rawSocket();
    s.sendFrame([op]);
    await expectFatal(s, 'ERR_HANDSHAKE', 1002);
    await expectBrokerStillServes();
  });

  it.each([[99], [[0, 2, 99]], [[]]])('hello with version %j: ERR_VERSION, close 1002', async (version) => {
    const s = await rawSocket();
    s.sendFrame([[OP.hello, { version }]]);
    const [, code, message] = await nextError(s);
    expect(code).toBe('ERR_VERSION');
    expect(message).toMatch(/1/); // says which version the broker speaks
    expect((await s.closed).code).toBe(1002);
    await expectBrokerStillServes();
  });

  it('hello offering several versions picks the one the broker speaks', async () => {
    const s = await rawSocket();
    s.sendFrame([[OP.hello, { version: [99, 1, 0] }]]);
    const welcome = await s.nextOp((o) => o[0] === REPLY.welcome);
    expect((welcome[1] as { version: number }).version).toBe(1);
    await expectStillOpen(s);
  });

  it('an empty frame before hello is a no-op: hello still works', async () => {
    const s = await rawSocket();
    s.sendFrame([]);
    expect((await s.hello()).version).toBe(1);
    await expectStillOpen(s);
  });
});

describe('oversized frames: close 1009', () => {
  it('a raw frame above maxFrameBytes closes the connection with 1009', async () => {
    const s = await helloSocket();
    s.sendFrame([[OP.publish, 1, 'big/one', new Uint8Array(10 * 1024)]]);
    expect((await s.closed).code).toBe(1009);
    await expectBrokerStillServes();
  });

  it('a frame just under maxFrameBytes is accepted (payload at its limit, headers filling the rest)', async () => {
    const s = await helloSocket();
    const payload = new Uint8Array(MAX_FRAME - 2048);
    const headers = { fill: 'x'.repeat(1900) };
    s.sendFrame([[OP.publish, 1, 'big/ok', payload, { headers, confirm: true }], [OP.ping, 2]]);
    const ok = await s.nextOp((o) => o[0] === REPLY.ok && o[1] === 1);
    expect(ok[2]).toEqual({ matched: 0, dropped: 0 });
    await s.nextOp((o) => o[0] === REPLY.pong && o[1] === 2);
    expect(s.isClosed).toBe(false);
    await expectBrokerStillServes();
  });

  it('a payload above maxPayloadBytes inside an acceptable frame gets ERR_LIMIT, connection open', async () => {
    const s = await helloSocket();
    s.sendFrame([[OP.publish, 7, 'big/no', new Uint8Array(MAX_FRAME - 2048 + 1)], [OP.ping, 8]]);
    const err = await s.nextOp((o) => o[0] === REPLY.error && o[1] === 7);
    expect(err[2]).toBe('ERR_LIMIT');
    await s.nextOp((o) => o[0] === REPLY.pong && o[1] === 8);
    expect(s.isClosed).toBe(false);
    await expectBrokerStillServes();
  });

  it('a replyTo that is not a topic name gets ERR_BAD_REQUEST', async () => {
    const s = await helloSocket();
    s.sendFrame([[OP.publish, 9, 'svc/x', new Uint8Array([0xc0]), { replyTo: 'a/#' }]]);
    const err = await s.nextOp((o) => o[0] === REPLY.error && o[1] === 9);
    expect(err[2]).toBe('ERR_BAD_REQUEST');
    expect(String(err[3])).toContain('replyTo');
    await expectBrokerStillServes();
  });

  it('the SDK refuses a payload above the announced limit with ERR_LIMIT, before sending it', async () => {
    const c = res.track(await connect(broker.url, { reconnect: false }), (x) => x.close());
    expect(c.welcome!.limits.maxFrameBytes).toBe(MAX_FRAME);
    const err = await c.publish('big/sdk', new Uint8Array(10 * 1024)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OrdoError);
    expect((err as OrdoError).code).toBe('ERR_LIMIT');
    // Refused locally: the connection is untouched and still works.
    expect(c.state).toBe('connected');
    await c.flush();
    await expectBrokerStillServes();
  });

  it('the SDK refuses a publish whose headers push its frame above the limit with ERR_LIMIT', async () => {
    const c = res.track(await connect(broker.url, { reconnect: false }), (x) => x.close());
    const headers = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`h${i}`, 'v'.repeat(100)]));
    const err = await c.publish('big/headers', 'small payload', { headers }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OrdoError);
    expect((err as OrdoError).code).toBe('ERR_LIMIT');
    expect(c.state).toBe('connected');
    await c.flush();
    await expectBrokerStillServes();
  });

  it('the SDK sends a publish near the limit (long topic, large payload) and it arrives intact', async () => {
    const c = res.track(await connect(broker.url, { reconnect: false }), (x) => x.close());
    const topic = `near/${'t'.repeat(1000)}`;
    const body = new Uint8Array(c.welcome!.limits.maxPayloadBytes - 16).map((_, i) => i % 251);
    const got: Uint8Array[] = [];
    await healthy.subscribe(topic, (m) => { got.push(m.payload as Uint8Array); });
    await c.publish(topic, body);
    await waitFor(() => got.length === 1);
    expect(new Uint8Array(got[0])).toEqual(body);
    expect(c.state).toBe('connected');
  });

  it('the SDK splits many publishes with headers into frames the broker accepts', async () => {
    const c = res.track(await connect(broker.url, { reconnect: false }), (x) => x.close());
    const headers = { trace: 'x'.repeat(400) };
    const got: number[] = [];
    await healthy.subscribe('batched/headers', (m) => { got.push(m.payload as number); });
    for (let i = 0; i < 50; i++) void c.publish('batched/headers', i, { headers }); // 50 × ~450 bytes ≫ 4096
    await c.flush();
    await waitFor(() => got.length === 50);
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(c.state).toBe('connected');
  });

  it('when the SDK does send an oversized frame (stale limits), it reports ERR_FRAME_TOO_LARGE', async () => {
    const c = res.track(await connect(broker.url, { reconnect: false }), (x) => x.close());
    // Pretend the client believes in a larger limit than the broker enforces.
    c.welcome!.limits.maxFrameBytes = 1024 * 1024;
    c.welcome!.limits.maxPayloadBytes = 1024 * 1024;
    const disconnected = new Promise<OrdoError | undefined>((resolve) => c.on('disconnect', (d) => resolve(d.error)));
    const closed = new Promise<OrdoError | undefined>((resolve) => c.on('close', (d) => resolve(d.error)));
    await c.publish('big/stale', new Uint8Array(10 * 1024));
    const err = await disconnected;
    expect(err?.code).toBe('ERR_FRAME_TOO_LARGE');
    expect((await closed)?.code).toBe('ERR_FRAME_TOO_LARGE');
    expect(c.state).toBe('closed'); // reconnect: false
    await expectBrokerStillServes();
  });

  it('with reconnect on, an oversized frame costs only what was in flight: the client reconnects', async () => {
    const c = res.track(await connect(broker.url, { reconnectDelayMs: 10 }), (x) => x.close());
    const got: unknown[] = [];
    await c.subscribe('big/after', (m) => { got.push(m.payload); });
    c.welcome!.limits.maxFrameBytes = 1024 * 1024; // stale limits, as above
    c.welcome!.limits.maxPayloadBytes = 1024 * 1024;
    const disconnected = new Promise<OrdoError | undefined>((resolve) => c.on('disconnect', (d) => resolve(d.error)));
    await c.publish('big/stale', new Uint8Array(10 * 1024));
    expect((await disconnected)?.code).toBe('ERR_FRAME_TOO_LARGE');
    await waitFor(() => c.state === 'connected', {}, 'reconnected');
    await c.publish('big/after', 'fine');
    await waitFor(() => got.length === 1, {}, 'the renewed subscription works');
    expect(got).toEqual(['fine']);
  });
});

describe('oversized frames after a reconnect', () => {
  it('publishes buffered while disconnected go out in frames under the limit, not one frame the broker refuses', async () => {
    const limits = { maxFrameBytes: 64 * 1024 };
    const first = res.track(await startTestBroker({ limits }), (b) => b.cleanup());
    const c = res.track(await connect(first.url, { reconnectDelayMs: 10, maxReconnectDelayMs: 50 }), (x) => x.close());
    const closedWith: unknown[] = [];
    c.on('close', ({ error }) => { closedWith.push(error); });
    await first.cleanup();
    await waitFor(() => c.state === 'reconnecting');
    for (let i = 0; i < 200; i++) void c.publish('buffered/x', new Uint8Array(1000)); // ~200 KB ≫ 64 KB
    // The same port again, so the client finds its broker back (the port was free a moment ago).
    const second = res.track(await startTestBroker({ port: first.port, limits }), (b) => b.cleanup());
    await waitFor(() => second.stats().messagesIn === 200 || c.state === 'closed', {}, 'buffered publishes arrive');
    expect(closedWith).toEqual([]);
    expect(c.state).toBe('connected');
    expect(second.stats().messagesIn).toBe(200);
  });
});

describe('topics and patterns [protocol 3.1]', () => {
  const badNames = ['a/#/b', 'a+/b', 'a//b', '', 'a/+', '#', '/a', 'a\u0000b'];

  it.each(badNames)('publish to %j: ERR_BAD_TOPIC naming the reqId, stays open', async (topic) => {
    const s = await helloSocket();
    s.sendFrame([[OP.publish, 101, topic, payload('x')]]);
    const [reqId, code] = await nextError(s);
    expect([reqId, code]).toEqual([101, 'ERR_BAD_TOPIC']);
    await expectStillOpen(s);
    await expectBrokerStillServes();
  });

  it.each(['a/#/b', 'a+/b', 'a//b', '', '#/a', 'a/b#', '+a', 'x\u007f'])('subscribe to %j: ERR_BAD_PATTERN naming the reqId, stays open', async (pattern) => {
    const s = await helloSocket();
    s.sendFrame([[OP.subscribe, 102, 1, pattern]]);
    const [reqId, code] = await nextError(s);
    expect([reqId, code]).toEqual([102, 'ERR_BAD_PATTERN']);
    // The refused subscription id is free to use.
    s.sendFrame([[OP.subscribe, 103, 1, 'ok/+']]);
    await s.nextOp((o) => o[0] === REPLY.ok && o[1] === 103);
    await expectBrokerStillServes();
  });

  it('a topic longer than the maximum: ERR_BAD_TOPIC', async () => {
    const s = await helloSocket();
    s.sendFrame([[OP.publish, 104, 'x'.repeat(1025), payload('x')]]);
    const [reqId, code] = await nextError(s);
    expect([reqId, code]).toEqual([104, 'ERR_BAD_TOPIC']);
    await expectStillOpen(s);
    await expectBrokerStillServes();
  });

  it('the SDK refuses the same names and patterns locally, with the same codes', async () => {
    for (const bad of ['a/#/b', 'a+/b', 'a//b', '']) {
      await expect(healthy.publish(bad, 1)).rejects.toMatchObject({ code: 'ERR_BAD_TOPIC' });
      await expect(healthy.subscribe(bad, () => undefined)).rejects.toMatchObject({ code: 'ERR_BAD_PATTERN' });
    }
    await expectBrokerStillServes();
  });

  it('publishing to $sys/x: ERR_FORBIDDEN', async () => {
    const s = await helloSocket();
    s.sendFrame([[OP.publish, 111, '$sys/x', payload('x')]]);
    const [reqId, code] = await nextError(s);
    expect([reqId, code]).toEqual([111, 'ERR_FORBIDDEN']);
    await expectStillOpen(s);
    await expectBrokerStillServes();
  });

  it("claiming another client's inbox in hello gets no access to it: ERR_FORBIDDEN", async () => {
    const s = await rawSocket();
    const welcome = await s.hello({ inbox: healthy.inboxId });
    expect(welcome.inbox).not.toBe(healthy.inboxId); // the broker names inboxes, not the client
    s.sendFrame([[OP.subscribe, 113, 1, `$inbox/${healthy.inboxId}/#`], [OP.subscribe, 114, 2, '$inbox/#']]);
    expect(await nextError(s)).toEqual([113, 'ERR_FORBIDDEN', expect.any(String)]);
    expect(await nextError(s)).toEqual([114, 'ERR_FORBIDDEN', expect.any(String)]);
    await expectStillOpen(s);
    await expectBrokerStillServes();
  });

  it("subscribing to another client's inbox: ERR_FORBIDDEN", async () => {
    const s = await helloSocket();
    s.sendFrame([[OP.subscribe, 112, 1, `$inbox/${healthy.inboxId}/#`]]);
    const [reqId, code] = await nextError(s);
    expect([reqId, code]).toEqual([112, 'ERR_FORBIDDEN']);
    await expectStillOpen(s);
    await expectBrokerStillServes();
  });
});

describe('subscription state', () => {
  it('unsubscribing an unknown id: ERR_NOT_FOUND', async () => {
    const s = await helloSocket();
    s.sendFrame([[OP.unsubscribe, 121, 4242]]);
    const [reqId, code] = await nextError(s);
    expect([reqId, code]).toEqual([121, 'ERR_NOT_FOUND']);
    await expectStillOpen(s);
    await expectBrokerStillServes();
  });

  it('unsubscribing twice: OK, then ERR_NOT_FOUND', async () => {
    const s = await helloSocket();
    s.sendFrame([[OP.subscribe, 1, 9, 'x/y'], [OP.unsubscribe, 2, 9], [OP.unsubscribe, 3, 9]]);
    await s.nextOp((o) => o[0] === REPLY.ok && o[1] === 2);
    const [reqId, code] = await nextError(s);
    expect([reqId, code]).toEqual([3, 'ERR_NOT_FOUND']);
    await expectBrokerStillServes();
  });

  it('subscribing with an id already in use: ERR_CONFLICT, and the first subscription stays as it was', async () => {
    const s = await helloSocket();
    s.sendFrame([[OP.subscribe, 131, 5, 'conflict/first']]);
    await s.nextOp((o) => o[0] === REPLY.ok && o[1] === 131);
    s.sendFrame([[OP.subscribe, 132, 5, 'conflict/second']]);
    const [reqId, code] = await nextError(s);
    expect([reqId, code]).toEqual([132, 'ERR_CONFLICT']);
    await healthy.publish('conflict/second', 'no');
    await healthy.publish('conflict/first', 'yes');
    const msg = await s.nextOp((o) => o[0] === REPLY.message);
    expect(msg[1]).toBe(5);
    expect(msg[2]).toBe('conflict/first');
    await expectStillOpen(s);
    expect(s.received.filter((o) => o[0] === REPLY.message)).toHaveLength(1);
    await expectBrokerStillServes();
  });

  it.each([
    ['no producer and no pseq', {}],
    ['a producer without pseq', { producer: 'p1' }],
  ])('qos exactly-once publish with %s: ERR_BAD_REQUEST, nothing stored', async (_name, extra) => {
    const s = await helloSocket();
    s.sendFrame([[OP.publish, 141, 'q/x', payload('x'), { qos: 'exactly-once', ...extra }]]);
    const [reqId, code] = await nextError(s);
    expect([reqId, code]).toEqual([141, 'ERR_BAD_REQUEST']);
    await expectStillOpen(s);
    await expectBrokerStillServes();
  });

  it.each([
    ['an empty producer', { producer: '', pseq: 1 }],
    ['a producer of 129 characters', { producer: 'p'.repeat(129), pseq: 1 }],
    ['pseq 0', { producer: 'p', pseq: 0 }],
    ['a fractional pseq', { producer: 'p', pseq: 1.5 }],
  ])('publish with %s: ERR_BAD_REQUEST', async (_name, extra) => {
    const s = await helloSocket();
    s.sendFrame([[OP.publish, 144, 'q/x', payload('x'), { qos: 'exactly-once', ...extra }]]);
    expect(await nextError(s)).toEqual([144, 'ERR_BAD_REQUEST', expect.stringMatching(/producer|pseq/)]);
    await expectStillOpen(s);
  });

  it('the SDK refuses an exactly-once subscription without a handler (it runs the handler once per delivery)', async () => {
    await expect(healthy.subscribe('q/sdk', undefined, { qos: 'exactly-once' })).rejects.toMatchObject({ code: 'ERR_BAD_REQUEST' });
    await expectBrokerStillServes();
  });
});

describe('causal and total order on the wire [protocol 2.3, 2.4, 2.10–2.13]', () => {
  let queues = 0;
  /** A fresh queue per case: the file shares one broker. */
  const freshQueue = (): string => `ordered-q${++queues}`;

  /** The ok (its result) or the error ([code, message]) answering `reqId`. */
  async function answerTo(s: RawSocket, reqId: number): Promise<Op> {
    return s.nextOp((o) => (o[0] === REPLY.ok || o[0] === REPLY.error) && o[1] === reqId);
  }

  it.each([
    ['-1', -1],
    ['1.5', 1.5],
    ["'x'", 'x'],
    ['2^53 (above the largest safe integer)', 2 ** 53],
  ])('publish and send with after = %s: ERR_BAD_REQUEST naming after, nothing stored', async (_name, after) => {
    const s = await helloSocket();
    const queue = freshQueue();
    s.sendFrame([
      [OP.publish, 201, 'ordered/bad-after', payload('x'), { order: 'causal', after, confirm: true }],
      [OP.send, 202, queue, payload('x'), { order: 'total', after }],
    ]);
    expect(await nextError(s)).toEqual([201, 'ERR_BAD_REQUEST', expect.stringMatching(/\bafter\b/)]);
    expect(await nextError(s)).toEqual([202, 'ERR_BAD_REQUEST', expect.stringMatching(/\bafter\b/)]);
    await expectStillOpen(s);
    // Refused before the queue was touched: not even created on first use.
    await expect(healthy.queueInfo(queue)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await expectBrokerStillServes();
  });

  it('a causal or total send with a priority or a delay: ERR_BAD_REQUEST, nothing stored', async () => {
    const s = await helloSocket();
    const queue = freshQueue();
    s.sendFrame([
      [OP.send, 211, queue, payload('x'), { order: 'total', priority: 5 }],
      [OP.send, 212, queue, payload('x'), { order: 'causal', delayMs: 100 }],
      [OP.send, 213, queue, payload('x'), { order: 'fifo', priority: 5, delayMs: 100 }],
    ]);
    expect(await nextError(s)).toEqual([211, 'ERR_BAD_REQUEST', expect.stringMatching(/\bpriority\b/)]);
    expect(await nextError(s)).toEqual([212, 'ERR_BAD_REQUEST', expect.stringMatching(/\bdelayMs\b/)]);
    expect(await answerTo(s, 213)).toEqual([REPLY.ok, 213, { id: expect.any(Number) }]);
    expect((await healthy.queueInfo(queue)).total).toBe(1);
    await expectBrokerStillServes();
  });

  it("order 'sideways' on publish, send, subscribe and consume: ERR_BAD_REQUEST naming order", async () => {
    const s = await helloSocket();
    const queue = freshQueue();
    s.sendFrame([
      [OP.publish, 211, 'ordered/x', payload('x'), { order: 'sideways' }],
      [OP.send, 212, queue, payload('x'), { order: 'sideways' }],
      [OP.subscribe, 213, 1, 'ordered/#', { order: 'sideways' }],
      [OP.consume, 214, 2, queue, { order: 'sideways' }],
    ]);
    for (const reqId of [211, 212, 213, 214]) {
      expect(await nextError(s)).toEqual([reqId, 'ERR_BAD_REQUEST', expect.stringMatching(/\border\b/)]);
    }
    await expectStillOpen(s);
    await expectBrokerStillServes();
  });

  it.each([['causal'], ['total']])('subscribe and consume with order %s are accepted (no longer ERR_UNSUPPORTED)', async (order) => {
    const s = await helloSocket();
    const queue = freshQueue();
    s.sendFrame([
      [OP.subscribe, 221, 1, 'ordered/any/#', { order }],
      [OP.subscribe, 222, 2, 'ordered/stored/#', { order, qos: 'at-least-once', durable: `ordered-${order}` }],
      [OP.consume, 223, 3, queue, { order }],
      [OP.consume, 224, 4, queue, { order, qos: 'at-most-once' }],
    ]);
    for (const reqId of [221, 222, 223, 224]) expect((await answerTo(s, reqId))[0], `reqId ${reqId}`).toBe(REPLY.ok);
    await expectStillOpen(s);
    await expectBrokerStillServes();
  });

  it("nack with release 'yes': ERR_BAD_REQUEST, and the delivery stays held until a well-formed nack", async () => {
    const s = await helloSocket();
    const queue = freshQueue();
    s.sendFrame([[OP.send, 231, queue, payload('job')], [OP.consume, 232, 1, queue, { prefetch: 1 }]]);
    await answerTo(s, 231);
    await answerTo(s, 232);
    const first = await s.nextOp((o) => o[0] === REPLY.message && o[1] === 1);
    const tag = [first[6] as number, first[8] as number];
    expect(tag[1]).toBe(1);
    s.sendFrame([[OP.nack, 233, 1, [tag], { requeue: true, release: 'yes' }]]);
    expect(await nextError(s)).toEqual([233, 'ERR_BAD_REQUEST', expect.stringMatching(/\brelease\b/)]);
    expect(await healthy.queueInfo(queue)).toMatchObject({ ready: 0, unacked: 1 });
    // release: true gives it back uncounted: it comes again as its first delivery.
    s.sendFrame([[OP.nack, 234, 1, [tag], { requeue: true, release: true }]]);
    expect((await answerTo(s, 234))[0]).toBe(REPLY.ok);
    const again = await s.nextOp((o) => o[0] === REPLY.message && o[1] === 1);
    expect([again[6], again[8]]).toEqual([tag[0], 1]);
    await expectStillOpen(s);
    await expectBrokerStillServes();
  });

  it('an after above the last id given out is accepted; dep is clamped below the message\'s own seq', async () => {
    const s = await helloSocket();
    s.sendFrame([[OP.subscribe, 241, 1, 'ordered/future/+']]);
    await answerTo(s, 241);
    await healthy.publish('ordered/future/fifo', 'first', { qos: 'at-least-once' });
    const before = await lastSeq(s, 'ordered/future/fifo');
    s.sendFrame([
      [OP.publish, 242, 'ordered/future/causal', payload('c'), { order: 'causal', after: Number.MAX_SAFE_INTEGER, confirm: true }],
      [OP.publish, 243, 'ordered/future/total', payload('t'), { order: 'total', after: Number.MAX_SAFE_INTEGER, confirm: true }],
    ]);
    expect((await answerTo(s, 242))[0]).toBe(REPLY.ok);
    expect((await answerTo(s, 243))[0]).toBe(REPLY.ok);
    for (const [topic, scope] of [['ordered/future/causal', undefined], ['ordered/future/total', 'default']] as const) {
      const msg = await s.nextOp((o) => o[0] === REPLY.message && o[2] === topic);
      // [67, subId, topic, payload, headers, replyTo, seq, timestamp, deliveries, flags, order]
      expect(msg).toHaveLength(11);
      expect([msg[8], msg[9]]).toEqual([0, 0]); // an at-most-once delivery
      const order = msg[10] as { dep: number; scope?: string };
      expect(order.scope).toBe(scope);
      expect(order.dep).toBeLessThan(msg[6] as number);
      expect(order.dep).toBeGreaterThanOrEqual(before);
    }
    await expectStillOpen(s);
    await expectBrokerStillServes();
  });

  it('a send with an after above the last id: the consumer\'s MESSAGE carries {dep, scope} with dep below its seq', async () => {
    const s = await helloSocket();
    const queue = freshQueue();
    s.sendFrame([[OP.send, 251, queue, payload('x'), { order: 'total', after: 2 ** 53 - 1 }], [OP.consume, 252, 1, queue, { order: 'total' }]]);
    await answerTo(s, 251);
    await answerTo(s, 252);
    const msg = await s.nextOp((o) => o[0] === REPLY.message && o[1] === 1);
    expect(msg).toHaveLength(11);
    expect(msg[8]).toBe(1); // at-least-once: its first delivery
    const order = msg[10] as { dep: number; scope?: string };
    expect(order).toEqual({ dep: expect.any(Number), scope: 'default' });
    expect(order.dep).toBeLessThan(msg[6] as number);
    await expectStillOpen(s);
    await expectBrokerStillServes();
  });
});

/** The seq of the next MESSAGE on `topic` that `s` receives. */
async function lastSeq(s: RawSocket, topic: string): Promise<number> {
  const msg = await s.nextOp((o) => o[0] === REPLY.message && o[2] === topic);
  return msg[6] as number;
}

describe('a batch with one bad operation in the middle', () => {
  it('applies the good operations, answers the bad one with its error, in order', async () => {
    const s = await helloSocket();
    s.sendFrame([
      [OP.subscribe, 1, 1, 'batch/+'],
      [OP.publish, 2, 'batch/one', payload('one')],
      [OP.publish, 3, 'batch/#/bad', payload('bad')],
      [77, 4],
      'not an operation',
      [OP.publish, 5, 'batch/two', payload('two')],
      [OP.ping, 6],
    ]);
    await s.nextOp((o) => o[0] === REPLY.pong && o[1] === 6);
    const replies = s.received.filter((o) => o[0] !== REPLY.welcome).map(summary);
    expect(replies).toEqual([
      'ok 1',
      'message batch/one',
      'error 3 ERR_BAD_TOPIC',
      'error 4 ERR_UNKNOWN_OP',
      'error 0 ERR_BAD_REQUEST',
      'message batch/two',
      'pong 6',
    ]);
    await expectBrokerStillServes();
  });

  it('a fatal operation in the middle: what came before takes effect, what came after does not', async () => {
    const got: unknown[] = [];
    const sub = await healthy.subscribe('fatal/+', (m) => { got.push(m.payload); });
    const s = await helloSocket();
    s.sendFrame([
      [OP.publish, 1, 'fatal/before', payload('before')],
      [OP.hello, { version: 1 }],
      [OP.publish, 2, 'fatal/after', payload('after')],
    ]);
    await expectFatal(s, 'ERR_HANDSHAKE', 1002);
    // The raw frame was processed before this publish: order on one broker is a barrier.
    await healthy.publish('fatal/barrier', 'barrier');
    await waitFor(() => got.includes('barrier'));
    await sub.unsubscribe();
    expect(got).toEqual(['before', 'barrier']);
    await expectBrokerStillServes();
  });
});

describe('fuzzing a live broker', () => {
  const PROBE_BASE = 3_000_000_000;

  /** Valid operations, to be mutated. */
  const validOp: fc.Arbitrary<unknown[]> = fc.oneof(
    { weight: 4, arbitrary: fc.tuple(fc.constant(OP.publish), fc.nat(), fc.constantFrom('f/a', 'f/b/c', 'health/x'), fc.uint8Array({ maxLength: 64 }).map((b) => pack(b))) },
    { weight: 4, arbitrary: fc.tuple(fc.constant(OP.subscribe), fc.nat(), fc.integer({ min: 1, max: 50 }), fc.constantFrom('f/#', 'f/+/c', '#')) },
    { weight: 2, arbitrary: fc.tuple(fc.constant(OP.unsubscribe), fc.nat(), fc.integer({ min: 1, max: 50 })) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(OP.ping, OP.stats), fc.nat()) },
    { weight: 1, arbitrary: fc.tuple(fc.constant(OP.hello), fc.constant({ version: 1 })) }, // fatal after the handshake
  );

  /** A field replaced by anything MessagePack can carry, or a field dropped or added. */
  const structuralMutation = fc.tuple(fc.array(validOp, { minLength: 1, maxLength: 5 }), fc.nat(), fc.nat(), fc.jsonValue(), fc.constantFrom('replace', 'drop', 'add'))
    .map(([ops, which, field, value, how]) => {
      const op = [...ops[which % ops.length]];
      const at = field % (op.length + 1);
      if (how === 'replace') op[Math.min(at, op.length - 1)] = value;
      else if (how === 'drop') op.splice(at, 1);
      else op.splice(at, 0, value);
      const copy = [...ops];
      copy[which % ops.length] = op;
      return pack(copy);
    });

  /** A valid frame with a byte changed or the end cut off. */
  const byteMutation = fc.tuple(fc.array(validOp, { minLength: 1, maxLength: 5 }), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean())
    .map(([ops, at, byte, cut]) => {
      const bytes = pack(ops);
      if (cut) return bytes.subarray(0, at % bytes.length);
      bytes[at % bytes.length] = byte;
      return bytes;
    });

  /** Operations with a plausible code and fields drawn from what the handlers look at. */
  const field = fc.oneof(
    fc.nat(), fc.integer(), fc.string({ maxLength: 10 }), fc.constantFrom('f/a', '#', 'a/+', '$sys/x', ''),
    fc.uint8Array({ maxLength: 16 }), fc.constant(null),
    fc.dictionary(fc.constantFrom('qos', 'order', 'after', 'group', 'durable', 'headers', 'replyTo', 'confirm', 'retain', 'version'), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
  );
  const randomOps = fc.array(
    fc.tuple(
      fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 2, max: 8 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 1 }) }),
      fc.array(field, { maxLength: 5 }),
    ).map(([code, rest]) => [code, ...rest]),
    { minLength: 1, maxLength: 4 },
  ).map((ops) => pack(ops));

  const sample = fc.record({
    bytes: fc.oneof(
      { arbitrary: fc.uint8Array({ maxLength: 256 }), weight: 1 },
      { arbitrary: byteMutation, weight: 1 },
      { arbitrary: structuralMutation, weight: 3 },
      { arbitrary: randomOps, weight: 3 },
    ),
    // Mostly on an open connection; now and then on a fresh one that has not said hello, or as text.
    beforeHello: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    asText: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
  });

  it('never crashes the broker: every frame gets a reply, an error or a close; the bystander keeps working', async () => {
    let socket: RawSocket | undefined;
    let probe = 0;
    let closes = 0;
    const everyOp: Op[] = [];
    const opened: RawSocket[] = [];

    await fc.assert(fc.asyncProperty(sample, async ({ bytes, beforeHello, asText }) => {
      if (socket === undefined || socket.isClosed || beforeHello) {
        if (socket !== undefined) await socket.close();
        socket = await openRawSocket(broker.url);
        opened.push(socket);
        if (!beforeHello) await socket.hello();
      }
      const s = socket;
      if (asText) s.sendText(Buffer.from(bytes).toString('latin1'));
      else s.sendBytes(bytes);
      const id = PROBE_BASE + ++probe;
      s.sendFrame([[OP.ping, id]]);
      // Either the connection is still in step (the probe is answered) or it was closed.
      const outcome = await Promise.race([
        s.nextOp((o) => o[0] === REPLY.pong && o[1] === id, 5000).then(() => 'pong' as const),
        s.closed.then(() => 'closed' as const),
      ]);
      if (outcome === 'closed') {
        closes++;
        const { code } = await s.closed;
        expect([1002, 1007, 1009]).toContain(code);
      }
    }), { numRuns: 300 });

    for (const s of opened) {
      await s.close();
      everyOp.push(...s.received);
      expect(s.undecodable, 'every frame from the broker is a MessagePack array').toEqual([]);
    }
    const errors = everyOp.filter((o) => o[0] === REPLY.error);
    for (const [, reqId, code, message] of errors) {
      expect(typeof reqId).toBe('number');
      expect(String(code) in ERRORS, String(code)).toBe(true);
      expect(code, `a handler failed: ${String(message)}`).not.toBe('ERR_INTERNAL');
    }
    expect(everyOp.every((o) => Object.values(REPLY).includes(o[0] as never))).toBe(true);
    // The fuzzing really exercised both paths.
    expect(errors.length).toBeGreaterThan(0);
    expect(closes).toBeGreaterThan(0);
    // Every fuzz connection is gone from the broker's books; only the bystander remains.
    await waitFor(() => broker.stats().connections === 1, {}, 'fuzz connections forgotten');
    await expectBrokerStillServes();
  });
});

function summary(op: Op): string {
  switch (op[0]) {
    case REPLY.ok: return `ok ${op[1]}`;
    case REPLY.pong: return `pong ${op[1]}`;
    case REPLY.error: return `error ${op[1]} ${op[2]}`;
    case REPLY.message: return `message ${op[2]}`;
    default: return `op ${JSON.stringify(op)}`;
  }
}
