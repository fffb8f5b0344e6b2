import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { connect, type OrdoClient } from '../../client/index.js';
import { parseConfig, type StartBrokerOptions } from '../../broker/index.js';
import { Broker } from '../../broker/broker.js';
import { openStore } from '../../broker/store/index.js';
import { createLogger } from '../../broker/observability/logger.js';
import { handleHttpRequest, type HttpBroker } from '../../broker/http/routes.js';
import { spawnBrokerProcess, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { parsePrometheus, scrape, type Exposition } from '../helpers/prometheus.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';

const res = useResources();

async function broker(opts: StartBrokerOptions = {}): Promise<TestBroker> {
  return res.track(await startTestBroker(opts), (b) => b.cleanup());
}

async function client(b: TestBroker): Promise<OrdoClient> {
  return res.track(await connect(b.url, { reconnect: false }), (c) => c.close());
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One plain HTTP request to the broker's port (`ws://` → `http://`). */
function http(wsUrl: string, path: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${wsUrl.replace(/^ws/, 'http')}${path}`, { method }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { body += chunk; });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The value of a sample that must be there. */
function valueOf(metrics: Exposition, name: string, labels?: Record<string, string>): number {
  const value = metrics.value(name, labels);
  if (value === undefined) throw new Error(`no sample ${name} ${JSON.stringify(labels ?? {})}`);
  return value;
}

describe('/healthz and /readyz', () => {
  it('answer 200 on a running broker; other methods get 405, other paths 426', async () => {
    const b = await broker();
    expect(await http(b.url, '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    const ready = await http(b.url, '/readyz?verbose');
    expect(ready).toMatchObject({ status: 200, body: 'ready\n' });
    expect(ready.headers['cache-control']).toBe('no-store');
    expect(await http(b.url, '/readyz', 'HEAD')).toMatchObject({ status: 200, body: '' });
    expect(await http(b.url, '/healthz', 'POST')).toMatchObject({ status: 405 });
    expect((await http(b.url, '/no-such-thing')).status).toBe(426);
  });

  it('/readyz answers 503 naming the memory alarm while it is on; /healthz stays 200', async () => {
    const b = await broker({ limits: { memoryHighWatermarkBytes: 1 }, log: { level: 'error' } });
    const ready = await http(b.url, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatch(/^not ready\nmemory high watermark: the broker uses [\d.]+ MB, above its limit/);
    expect((await http(b.url, '/healthz')).status).toBe(200);
    expect(valueOf(await scrape(b.url), 'ordo_memory_alarm')).toBe(1);
  });

  it('/readyz answers 503 naming the disk alarm, and 200 again on a broker without it', async () => {
    const b = await broker({ limits: { diskFreeLimitBytes: Number.MAX_SAFE_INTEGER }, log: { level: 'error' } });
    await waitFor(() => b.stats().diskAlarm, {}, 'disk alarm');
    const ready = await http(b.url, '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatch(/\ndisk low watermark: [\d.]+ MB free on the data directory's disk/);
    expect(valueOf(await scrape(b.url), 'ordo_disk_alarm')).toBe(1);
    const calm = await broker();
    expect((await http(calm.url, '/readyz')).status).toBe(200);
    expect(valueOf(await scrape(calm.url), 'ordo_disk_alarm')).toBe(0);
  });

  it('a broker that is shutting down is not ready', async () => {
    const store = openStore({ dataDir: '.', durability: 'memory' });
    const recovered = await store.open();
    const config = parseConfig({ durability: 'memory', http: { metrics: false } });
    const b = new Broker(config, store, recovered.nextMessageId, {}, createLogger({ level: 'silent', format: 'json' }));
    await b.durable.start(recovered);
    expect(b.notReadyReasons()).toEqual([]);
    const stopping = b.shutdown(0);
    expect(b.notReadyReasons()).toEqual(['shutting down']);
    await stopping;
    await store.close();
  });

  it('the route answers 503 with every reason, one a line', async () => {
    const stub: HttpBroker = {
      config: parseConfig({ http: { metrics: false, console: false } }),
      log: createLogger({ level: 'silent', format: 'json' }),
      metrics: undefined,
      notReadyReasons: () => ['shutting down', 'disk low watermark: …'],
    };
    const server = createServer((req, response) => handleHttpRequest(stub, req, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    res.defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect(await http(url, '/readyz')).toMatchObject({ status: 503, body: 'not ready\nshutting down\ndisk low watermark: …\n' });
    expect(await http(url, '/metrics')).toMatchObject({ status: 404, body: 'metrics are off (http.metrics)\n' });
    expect((await http(url, '/')).status).toBe(426); // the console is off too
  });

  it('with the console off (http.console: false, --no-console) answers / and the console\'s files 426, as any other path', async () => {
    const on = await broker();
    expect((await http(on.url, '/')).status).toBe(200);
    expect((await http(on.url, '/ordo.js')).status).toBe(200);
    const off = await broker({ http: { console: false } });
    const spawned = res.track(await spawnBrokerProcess(['--no-console']), (b) => b.stop());
    for (const url of [off.url, spawned.url]) {
      expect(await http(url, '/')).toMatchObject({ status: 426, body: 'ordo speaks WebSocket here\n' });
      expect((await http(url, '/ordo.js')).status).toBe(426);
    }
  });

  it('answers 500 to a request whose handling throws, logs it, and keeps serving', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>); return true; } } as unknown as NodeJS.WritableStream;
    let isBroken = true;
    const stub: HttpBroker = {
      config: parseConfig({ http: { metrics: false, console: false } }),
      log: createLogger({ level: 'error', format: 'json' }, sink),
      metrics: undefined,
      notReadyReasons: () => {
        if (isBroken) throw new Error('alarm state unreadable');
        return [];
      },
    };
    const server = createServer((req, response) => handleHttpRequest(stub, req, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    res.defer(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect(await http(url, '/readyz')).toMatchObject({ status: 500, body: 'internal error\n' });
    expect(lines).toEqual([expect.objectContaining({ level: 'error', event: 'http_error', err: expect.objectContaining({ message: 'alarm state unreadable' }) })]);
    isBroken = false;
    expect((await http(url, '/readyz')).status).toBe(200);
  });
});

describe('/metrics', () => {
  it('is Prometheus text with the process metrics and every ordo_ family typed', async () => {
    const b = await broker();
    const answer = await http(b.url, '/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const metrics = parsePrometheus(answer.body);
    for (const [name, type] of [
      ['ordo_messages_in_total', 'counter'], ['ordo_messages_out_total', 'counter'], ['ordo_deliveries_total', 'counter'],
      ['ordo_redeliveries_total', 'counter'], ['ordo_acks_total', 'counter'], ['ordo_nacks_total', 'counter'],
      ['ordo_messages_dropped_total', 'counter'], ['ordo_dead_letters_total', 'counter'], ['ordo_queue_messages_ready', 'gauge'],
      ['ordo_connections', 'gauge'], ['ordo_store_transaction_batches', 'histogram'], ['ordo_uptime_seconds', 'gauge'],
      ['nodejs_eventloop_lag_seconds', 'gauge'], ['process_resident_memory_bytes', 'gauge'],
    ]) expect(metrics.types.get(name), name).toBe(type);
    expect(valueOf(metrics, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('is not served with http.metrics off', async () => {
    const b = await broker({ http: { metrics: false } });
    expect((await http(b.url, '/metrics')).status).toBe(404);
    expect((await http(b.url, '/healthz')).status).toBe(200);
  });

  it('moves with traffic: messages per guarantee, deliveries, acks, nacks, dead letters, and queue depths as the queues report them', async () => {
    const b = await broker();
    const c = await client(b);
    const before = await scrape(b.url);
    const delta = (after: Exposition, name: string, labels?: Record<string, string>): number =>
      valueOf(after, name, labels) - (before.value(name, labels) ?? 0);

    const amo: string[] = [];
    await c.subscribe<string>('m/amo', (m) => { amo.push(m.payload); });
    for (let i = 0; i < 3; i++) await c.publish('m/amo', `a${i}`);
    await c.publish('m/alo', 'x', { qos: 'at-least-once' });
    await c.publish('m/alo', 'y', { qos: 'at-least-once' });
    await c.publish('m/eo', 'z', { qos: 'exactly-once' });
    for (let i = 0; i < 4; i++) await c.send('idle', i);
    await c.send('idle', 'eo', { qos: 'exactly-once' });
    await c.send('idle', 'amo', { qos: 'at-most-once' });
    await waitFor(() => amo.length === 3 && b.stats().queues.find((q) => q.name === 'idle')?.ready === 6, {}, 'at-most-once traffic');

    // 'work': one message refused (nacked without requeue: dead-lettered), two acked.
    for (const job of ['ok-1', 'bad', 'ok-2']) await c.send('work', job);
    await c.consume<string>('work', async (m) => {
      if (m.payload === 'bad') await m.nack({ requeue: false });
      else await m.ack();
    }, { ack: 'manual' });
    // 'retry': nacked once (requeued), acked when it comes again.
    await c.send('retry', 'again');
    await c.consume<string>('retry', async (m) => {
      if (m.redelivered) await m.ack();
      else await m.nack();
    }, { ack: 'manual' });
    // 'eoq': one exactly-once delivery, completed.
    await c.send('eoq', 'once');
    await c.consume<string>('eoq', () => undefined, { qos: 'exactly-once' });
    await waitFor(async () => (await c.queueInfo('work.dlq')).total === 1 && (await c.queueInfo('work')).total === 0
      && (await c.queueInfo('retry')).total === 0 && (await c.queueInfo('eoq')).total === 0, {}, 'queues settled');

    const after = await scrape(b.url);
    expect(delta(after, 'ordo_messages_in_total', { qos: 'at-most-once' })).toBe(4);
    expect(delta(after, 'ordo_messages_in_total', { qos: 'at-least-once' })).toBe(2 + 4 + 3 + 1 + 1);
    expect(delta(after, 'ordo_messages_in_total', { qos: 'exactly-once' })).toBe(2);
    expect(delta(after, 'ordo_messages_out_total', { qos: 'at-most-once' })).toBe(3);
    expect(delta(after, 'ordo_messages_out_total', { qos: 'at-least-once' })).toBe(3 + 2);
    expect(delta(after, 'ordo_messages_out_total', { qos: 'exactly-once' })).toBe(1);
    expect(delta(after, 'ordo_deliveries_total')).toBe(3 + 2 + 1);
    expect(delta(after, 'ordo_redeliveries_total')).toBe(1);
    expect(delta(after, 'ordo_acks_total')).toBe(2 + 1 + 1);
    expect(delta(after, 'ordo_nacks_total')).toBe(2);
    expect(delta(after, 'ordo_dead_letters_total')).toBe(1);
    expect(delta(after, 'ordo_messages_dropped_total', { reason: 'slow_subscriber' })).toBe(0);
    expect(delta(after, 'ordo_store_messages_total')).toBeGreaterThanOrEqual(11);
    expect(delta(after, 'ordo_store_transaction_batches_count')).toBeGreaterThan(0);
    expect(valueOf(after, 'ordo_store_commit_failures_total')).toBe(0);

    // Depths are the queues' own numbers.
    const stats = b.stats();
    for (const q of stats.queues) {
      expect(valueOf(after, 'ordo_queue_messages_ready', { queue: q.name }), q.name).toBe(q.ready);
      expect(valueOf(after, 'ordo_queue_messages_unacked', { queue: q.name }), q.name).toBe(q.unacked);
      expect(valueOf(after, 'ordo_queue_messages_delayed', { queue: q.name }), q.name).toBe(q.delayed);
    }
    expect(valueOf(after, 'ordo_queue_messages_ready', { queue: 'idle' })).toBe(6);
    expect(valueOf(after, 'ordo_queue_messages_ready', { queue: 'work.dlq' })).toBe(1);
    expect(valueOf(after, 'ordo_queues')).toBe(stats.queues.length);
    expect(valueOf(after, 'ordo_connections')).toBe(stats.connections);
    expect(valueOf(after, 'ordo_subscriptions')).toBe(4);
  });

  it('counts the oldest messages a full drop-oldest queue drops', async () => {
    const b = await broker();
    const c = await client(b);
    await c.createQueue('small', { maxLength: 2, overflow: 'drop-oldest' });
    for (let i = 0; i < 5; i++) await c.send('small', i);
    const metrics = await scrape(b.url);
    expect(valueOf(metrics, 'ordo_messages_dropped_total', { reason: 'queue_overflow' })).toBe(3);
    expect(valueOf(metrics, 'ordo_queue_messages_ready', { queue: 'small' })).toBe(2);
  });

  it('answers concurrent scrapes alike: each has every queue\'s series', async () => {
    const b = await broker();
    const c = await client(b);
    for (const name of ['q1', 'q2', 'q3']) await c.send(name, 'x');
    const scrapes = await Promise.all(Array.from({ length: 6 }, () => scrape(b.url)));
    for (const metrics of scrapes) {
      expect(valueOf(metrics, 'ordo_queues')).toBe(6); // and their dead-letter queues
      for (const name of ['q1', 'q2', 'q3']) expect(valueOf(metrics, 'ordo_queue_messages_ready', { queue: name }), name).toBe(1);
    }
  });

  it('escapes queue names in label values, and gives no series to the queues named after a connection', async () => {
    const b = await broker();
    const c = await client(b);
    const odd = 'say "hi"\\now, {x="y"} #1';
    await c.send(odd, 'x');
    await c.send(odd, 'y');
    // An at-least-once subscription's queue is named after its connection: a series apiece would grow with every connection.
    await c.subscribe('t/alo', () => undefined, { qos: 'at-least-once' });
    // A shared group's and a durable subscription's queues keep their names across connections: they have series.
    await c.subscribe('t/group', () => undefined, { qos: 'at-least-once', group: 'workers' });
    await c.subscribe('t/durable', () => undefined, { qos: 'at-least-once', durable: 'keep' });
    const names = b.stats().queues.map((q) => q.name);
    expect(names.filter((n) => n.startsWith('$sub/'))).toHaveLength(1);

    const metrics = await scrape(b.url);
    expect(valueOf(metrics, 'ordo_queue_messages_ready', { queue: odd })).toBe(2);
    const series = metrics.samples.filter((x) => x.name === 'ordo_queue_messages_ready').map((x) => x.labels.queue);
    expect(series.filter((n) => n.startsWith('$'))).toEqual([
      '$durable/-/keep', '$durable/-/keep.dlq', names.find((n) => n.startsWith('$group/workers/'))!,
    ]);
    expect(valueOf(metrics, 'ordo_queues')).toBe(names.length); // every queue still counts
  });
});
