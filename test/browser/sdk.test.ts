import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { launchChromium, watchPage } from '../helpers/browser.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * The browser SDK (dist/web/ordo.js, built by `npm run build`) in headless
 * Chromium, on the browser's own WebSocket, against a real broker: a page of
 * another origin (a tiny static server, listed in allowedOrigins) imports it
 * from the broker (`/ordo.js`) and publishes, subscribes, sends and consumes
 * at-least-once.
 */

const SDK_FILE = new URL('../../dist/web/ordo.js', import.meta.url);

/** The test page: the SDK, imported from the broker on `brokerPort`, as window.ordo. */
function testPage(brokerPort: number): string {
  return `<!doctype html><title>loading</title><link rel="icon" href="data:,">
<script type="module">import * as ordo from 'http://127.0.0.1:${brokerPort}/ordo.js'; window.ordo = ordo; document.title = 'ready';</script>`;
}

/** Serves the test page at /, for the broker `broker()` returns once it runs. */
async function startPageServer(broker: () => TestBroker): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(testPage(broker().port));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** The SDK module as the page sees it (window.ordo). */
type Sdk = typeof import('../../client/index.js');
declare const ordo: Sdk;

const res = useResources();
let browser: Browser;
let pageServer: { server: Server; origin: string };
let broker: TestBroker;

beforeAll(async () => {
  browser = await launchChromium();
  pageServer = await startPageServer(() => broker);
  broker = await startTestBroker({ allowedOrigins: [pageServer.origin] });
});

afterAll(async () => {
  await browser?.close();
  pageServer?.server.close();
  await broker?.cleanup();
});

async function openPage(): Promise<{ page: Page; problems: string[] }> {
  const page = res.track(await browser.newPage(), (p) => p.close());
  const problems = watchPage(page);
  await page.goto(`${pageServer.origin}/`);
  await page.waitForFunction(() => document.title === 'ready');
  return { page, problems };
}

describe('the browser SDK in Chromium', () => {
  it('is one ES module that uses the browser WebSocket, without the ws package', async () => {
    const source = await readFile(SDK_FILE, 'utf8');
    expect(source).not.toMatch(/from\s*["']ws["']|require\(["']ws["']\)/);
    const { page, problems } = await openPage();
    const exported = await page.evaluate(() => Object.keys(ordo).sort());
    expect(exported).toEqual(expect.arrayContaining(['connect', 'OrdoClient', 'OrdoError', 'isOrdoError', 'IndexedDbDedupStore']));
    expect(problems).toEqual([]);
  });

  it('publishes and subscribes at-least-once: every payload arrives in order and is acked', async () => {
    const { page, problems } = await openPage();
    const count = 200;
    const received = await page.evaluate(async ({ url, count }) => {
      const c = await ordo.connect(url, { clientId: 'browser-pubsub' });
      const got: unknown[] = [];
      await c.subscribe('browser/events/+', (m) => { got.push(m.payload); }, { qos: 'at-least-once', durable: 'browser-log' });
      // Confirms come back once the broker committed each message.
      await Promise.all(Array.from({ length: count }, (_, i) => c.publish(`browser/events/${i % 3}`, { i, text: `event ${i}` }, { qos: 'at-least-once' })));
      await c.publish('browser/events/bytes', Uint8Array.from([0, 1, 254, 255]), { qos: 'at-least-once' });
      const deadline = Date.now() + 10_000;
      while (got.length < count + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await c.close();
      return got.map((p) => (p instanceof Uint8Array ? { bytes: Array.from(p) } : p));
    }, { url: broker.url, count });
    expect(received).toEqual([
      ...Array.from({ length: count }, (_, i) => ({ i, text: `event ${i}` })),
      { bytes: [0, 1, 254, 255] },
    ]);
    // The durable subscription's queue: everything delivered was acked, nothing waits.
    const queue = broker.stats().queues.find((q) => q.pattern === 'browser/events/+');
    expect(queue).toMatchObject({ total: 0, unacked: 0, acked: count + 1 });
    expect(problems).toEqual([]);
  });

  it('receives what a Node client publishes, and sends and consumes a queue with acks', async () => {
    const { page, problems } = await openPage();
    await page.evaluate(async (url) => {
      const c = await ordo.connect(url, { clientId: 'browser-queue' });
      const w = window as unknown as { fromNode: unknown[]; consumed: number[] };
      w.fromNode = [];
      w.consumed = [];
      await c.subscribe('from-node/#', (m) => { w.fromNode.push(m.payload); }, { qos: 'at-least-once' });
      for (let i = 0; i < 30; i++) await c.send('browser-jobs', i, { qos: 'at-least-once' });
      await c.consume<number>('browser-jobs', (m) => { w.consumed.push(m.payload); }, { qos: 'at-least-once', prefetch: 5 });
    }, broker.url);
    const node = res.track(await connect(broker.url, { reconnect: false }), (c) => c.close());
    for (let i = 0; i < 5; i++) await node.publish(`from-node/${i}`, `hello ${i}`, { qos: 'at-least-once' });
    await waitFor(async () => (await page.evaluate(() => (window as unknown as { fromNode: unknown[] }).fromNode.length)) === 5, {}, 'the browser got the Node publishes');
    await waitFor(async () => {
      const q = await node.queueInfo('browser-jobs');
      return q.acked === 30 && q.total === 0;
    }, {}, 'the browser consumed and acked every job');
    expect(await page.evaluate(() => (window as unknown as { fromNode: unknown[] }).fromNode)).toEqual(['hello 0', 'hello 1', 'hello 2', 'hello 3', 'hello 4']);
    expect(await page.evaluate(() => (window as unknown as { consumed: number[] }).consumed)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(problems).toEqual([]);
  });

  it('is refused by a broker that does not list its origin', async () => {
    const other = res.track(await startTestBroker(), (b) => b.cleanup());
    const { page } = await openPage();
    const code = await page.evaluate(async (url) => {
      try {
        await ordo.connect(url, { reconnect: false, connectTimeoutMs: 3000 });
        return 'connected';
      } catch (err) {
        return (err as { code?: string }).code;
      }
    }, other.url);
    expect(code).toBe('ERR_UNREACHABLE');
    expect(other.stats().connections).toBe(0);
  });
});
