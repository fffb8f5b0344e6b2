import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type ConnectionInfo, type OrdoClient, type TopicInfo } from '../../client/index.js';
import type { StartBrokerOptions } from '../../broker/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { launchChromium, watchPage } from '../helpers/browser.js';
import { deadUrl, jsonLines, killLeftoverOrdos, ordoOk, startOrdo } from '../helpers/ordo-cli.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * The web console, served by a real broker and opened in headless Chromium:
 * what the CLI and Node clients do shows up in it, its buttons act on the
 * broker, and it asks for a login when the broker has authentication on.
 * Needs `npm run build` (dist/web and the CLI in dist/).
 */

const SCREENSHOT = fileURLToPath(new URL('../../test-output/console.png', import.meta.url));

const res = useResources();
afterEach(() => killLeftoverOrdos());
let browser: Browser;

beforeAll(async () => { browser = await launchChromium(); });
afterAll(async () => { await browser?.close(); });

async function broker(opts: StartBrokerOptions = {}): Promise<TestBroker> {
  return res.track(await startTestBroker(opts), (b) => b.cleanup());
}

async function client(b: TestBroker, options: Parameters<typeof connect>[1] = {}): Promise<OrdoClient> {
  return res.track(await connect(b.url, { reconnect: false, ...options }), (c) => c.close());
}

/** Opens the console of `b` at `view`, at a desktop size; returns the page and what went wrong in it. */
async function openConsole(b: TestBroker, view = 'overview'): Promise<{ page: Page; problems: string[] }> {
  const page = res.track(await browser.newPage({ viewport: { width: 1360, height: 860 } }), (p) => p.close());
  const problems = watchPage(page);
  await page.goto(`http://127.0.0.1:${b.port}/#/${view}`);
  return { page, problems };
}

/** Waits until the cell `col` of the row keyed `key` reads `text`. */
async function cellReads(page: Page, key: string, col: string, text: string): Promise<void> {
  const cell = page.locator(`tr[data-key="${key}"] td[data-col="${col}"]`);
  await waitFor(async () => (await cell.count()) === 1 && (await cell.textContent()) === text, { timeoutMs: 10_000 }, `${key} ${col} reads ${text}`);
}

/** Clicks `label` in the row keyed `key`, then the confirm dialog's button. */
async function act(page: Page, key: string, label: string): Promise<void> {
  await page.locator(`tr[data-key="${key}"]`).getByRole('button', { name: label }).click();
  await page.locator('#confirm-ok').click();
}

describe('the web console in Chromium', () => {
  it('shows a queue the CLI made with its depth, the live rates, topics and connections; screenshot', async () => {
    const b = await broker();
    const cli = ['--url', b.url];
    await ordoOk(['queue', 'create', 'orders', ...cli]);
    await ordoOk(['send', 'orders', 'order', '--count', '7', ...cli]);

    const { page, problems } = await openConsole(b, 'queues');
    await cellReads(page, 'orders', 'total', '7');
    await cellReads(page, 'orders', 'ready', '7');
    await cellReads(page, 'orders', 'unacked', '0');
    await cellReads(page, 'orders', 'consumers', '0');

    // A long name wraps in its cell: the table still fits the page, and the row's button is in sight.
    const longName = `orders-from-the-eu-warehouse-${'x'.repeat(60)}`;
    await ordoOk(['queue', 'create', longName, ...cli]);
    await page.locator(`tr[data-key="${longName}"]`).waitFor();
    expect(await page.locator('#view-queues .table-wrap').evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    expect(await page.locator(`tr[data-key="${longName}"]`).getByRole('button', { name: 'Purge' }).isVisible()).toBe(true);
    // A filter that leaves nothing says so (not "no queues yet"), without empty column headings.
    await page.locator('#view-queues input.filter').fill('no-such-queue');
    await page.locator('#view-queues .empty-state', { hasText: 'Nothing matches the filter.' }).waitFor();
    expect(await page.locator('#view-queues thead').isHidden()).toBe(true);
    await page.locator('#view-queues input.filter').fill('');
    await page.locator('tr[data-key="orders"]').waitFor();

    // Traffic for the charts: a subscriber and a steady publisher.
    const traffic = await client(b, { clientId: 'traffic-generator' });
    await traffic.subscribe('demo/#', () => undefined);
    await traffic.publish('sensors/t1', '21.5', { retain: true, qos: 'at-least-once' });
    let sent = 0;
    const timer = setInterval(() => { for (let i = 0; i < 40; i++) void traffic.publish(`demo/${sent++ % 4}`, sent); }, 50);
    res.defer(() => clearInterval(timer));

    await page.locator('a[data-view="overview"]').click();
    await waitFor(async () => Number((await page.locator('[data-stat="in"]').textContent())?.replace(/[^\d.]/g, '')) > 0,
      { timeoutMs: 10_000 }, 'the overview shows messages coming in');
    await waitFor(async () => ((await page.locator('.chart path.line.series-in').getAttribute('d')) ?? '').split('L').length >= 5,
      { timeoutMs: 10_000 }, 'the chart has drawn a few seconds of rates');
    expect(await page.locator('[data-stat="queued"]').textContent()).toBe('7');
    expect(await page.locator('a[data-view="queues"] .count').textContent()).toBe('2');
    // The y axis is labelled in round steps (0, 50, 100 …), never 62.5.
    const yLabels = (await page.locator('.chart .grid text').allTextContents()).filter((t) => !/ago|now/.test(t));
    expect(yLabels.length).toBeGreaterThanOrEqual(3);
    for (const label of yLabels) expect(label).toMatch(/^\d+$|^\d+(\.\d)?[KMB]$/);
    await mkdir(new URL('../../test-output/', import.meta.url), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`console screenshot: ${SCREENSHOT}`);
    clearInterval(timer);

    await page.locator('a[data-view="topics"]').click();
    await cellReads(page, 'sensors/t1', 'retained', 'retained');
    // The numbers `ordo topic ls` and `ordo conn ls` print are the console's.
    const [topic] = jsonLines<TopicInfo>(await ordoOk(['topic', 'ls', '--prefix', 'sensors/t1', '--json', ...cli]));
    for (const col of ['subscribers', 'stored', 'lastSeq'] as const) await cellReads(page, 'sensors/t1', col, String(topic[col]));
    await page.locator('a[data-view="connections"]').click();
    const own = page.locator('tr', { hasText: 'this console' });
    await own.waitFor();
    expect(await own.getByRole('button', { name: 'Kick' }).isDisabled()).toBe(true);
    await page.locator('tr', { hasText: 'traffic-generator' }).waitFor();
    const generator = jsonLines<ConnectionInfo>(await ordoOk(['conn', 'ls', '--json', ...cli])).find((c) => c.clientId === 'traffic-generator');
    expect(generator).toMatchObject({ subscriptions: 1, consumers: 0 });
    await cellReads(page, generator!.connectionId, 'subscriptions', String(generator!.subscriptions));
    await cellReads(page, generator!.connectionId, 'consumers', String(generator!.consumers));
    expect(problems).toEqual([]);
  });

  it('moves its rates and totals with the traffic of `ordo bench --url` (the quick start\'s walk-through)', async () => {
    const b = await broker();
    const { page, problems } = await openConsole(b);
    await page.locator('[data-stat="in"]').filter({ hasText: /\/s$/ }).waitFor();
    const bench = startOrdo(['bench', '--url', b.url, '--workloads', 'throughput-1-1,alo-window-100', '--messages', '5000']);
    let peakRate = 0;
    let finished = false;
    void bench.exited.finally(() => { finished = true; });
    while (!finished) {
      peakRate = Math.max(peakRate, Number((await page.locator('[data-stat="in"]').textContent())?.replace(/[^\d.]/g, '')));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const run = await bench.exited;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/1→1 throughput/);
    expect(peakRate).toBeGreaterThan(0);
    // Every message the bench published is counted once the console refreshes: the total under the rate.
    const published = b.stats().messagesIn;
    expect(published).toBeGreaterThanOrEqual(3 * 5000);
    await waitFor(async () => (await page.locator('[data-stat="in"] + .card-note').textContent())?.startsWith(published.toLocaleString('en-US')) === true,
      { timeoutMs: 5_000 }, `the overview counts ${published} messages in`);
    expect(problems).toEqual([]);
  });

  it('replays dead letters, purges a queue and kicks a connection', async () => {
    const b = await broker();
    const app = await client(b);
    await app.createQueue('payments', { maxDeliveries: 1 });
    for (let i = 0; i < 3; i++) await app.send('payments', `payment ${i}`, { qos: 'at-least-once' });
    const consumer = await app.consume('payments', () => { throw new Error('cannot process'); }, { qos: 'at-least-once' });
    const queue = (name: string) => b.stats().queues.find((q) => q.name === name);
    await waitFor(() => queue('payments.dlq')?.total === 3, {}, 'the three payments are dead letters');
    await consumer.unsubscribe();

    const { page, problems } = await openConsole(b, 'dead-letters');
    await cellReads(page, 'payments.dlq', 'total', '3');
    await cellReads(page, 'payments.dlq', 'for', 'payments');
    await waitFor(async () => (await page.locator('a[data-view="dead-letters"] .count').textContent()) === '3', {}, 'the tab counts 3 dead letters');
    await act(page, 'payments.dlq', 'Replay');
    await page.locator('.toast', { hasText: 'Moved 3 messages back to payments' }).waitFor();
    await waitFor(() => queue('payments')?.ready === 3 && queue('payments.dlq')?.total === 0, {}, 'the payments are back in their queue');
    expect((await app.peekQueue<string>('payments', 10)).map((m) => m.payload)).toEqual(['payment 0', 'payment 1', 'payment 2']);
    await cellReads(page, 'payments.dlq', 'total', '0');

    await page.locator('a[data-view="queues"]').click();
    await cellReads(page, 'payments', 'ready', '3');
    await act(page, 'payments', 'Purge');
    await waitFor(() => queue('payments')?.total === 0, {}, 'payments is purged');
    await cellReads(page, 'payments', 'total', '0');

    const victim = await client(b, { clientId: 'kick-me' });
    const closed = new Promise((resolve) => victim.once('close', resolve));
    await page.locator('a[data-view="connections"]').click();
    const row = page.locator('tr', { hasText: 'kick-me' });
    await row.getByRole('button', { name: 'Kick' }).click();
    await page.locator('#confirm-ok').click();
    await closed;
    await row.waitFor({ state: 'detached' });
    expect(problems).toEqual([]);
  });

  it('asks for a login when the broker has authentication on, and admits administrators only', async () => {
    // log level error: the refused logins below are expected, not worth a warning on the test's output.
    const b = await broker({ auth: { enabled: true }, adminPassword: 'admin-password', log: { level: 'error' } });
    const admin = await client(b, { username: 'admin', password: 'admin-password' });
    await admin.users.add('viewer', 'viewer-password');

    const { page, problems } = await openConsole(b);
    const signIn = async (user: string, password: string): Promise<void> => {
      await page.locator('#login-form input[name="username"]').fill(user);
      await page.locator('#login-form input[name="password"]').fill(password);
      await page.locator('#login-form button[type="submit"]').click();
    };
    await page.locator('#login-form').waitFor();
    expect(await page.locator('#tabs').isHidden()).toBe(true);
    await signIn('admin', 'wrong-password');
    await page.locator('#login-error', { hasText: 'Wrong user name or password.' }).waitFor();
    await signIn('viewer', 'viewer-password');
    await page.locator('#login-error', { hasText: 'viewer is not an administrator' }).waitFor();
    await signIn('admin', 'admin-password');
    await page.locator('#tabs').waitFor();
    expect(await page.locator('#user-name').textContent()).toBe('admin');
    await page.locator('.status-connected').waitFor();
    await page.locator('#sign-out').click();
    await page.locator('#login-form').waitFor();
    expect(problems).toEqual([]);
  });

  it('under a host name connects only when allowedOrigins lists it (DNS rebinding), and says so', async () => {
    // broker.test resolves to 127.0.0.1 in this browser only: a name, as a rebound attacker's domain would be.
    const named = res.track(await launchChromium(['--host-resolver-rules=MAP broker.test 127.0.0.1']), (x) => x.close());
    const open = async (b: TestBroker): Promise<Page> => {
      const page = res.track(await named.newPage(), (p) => p.close());
      await page.goto(`http://broker.test:${b.port}/`);
      return page;
    };
    const refused = await open(await broker());
    await refused.locator('#problem-hint:not([hidden])').waitFor();
    expect(await refused.locator('#problem-origin').textContent()).toMatch(/^http:\/\/broker\.test:\d+$/);

    // Listed, the name is admitted: a port known beforehand, since the origin names it.
    const port = Number(new URL(await deadUrl()).port);
    const admitted = await open(await broker({ port, allowedOrigins: [`http://broker.test:${port}`] }));
    await admitted.locator('.status-connected').waitFor();
    await admitted.locator('#tabs').waitFor();
  });

  it('is not served when http.console is off', async () => {
    const on = await broker();
    const off = await broker({ http: { console: false } });
    const page = await fetch(`http://127.0.0.1:${on.port}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect((await fetch(`http://127.0.0.1:${off.port}/`)).status).not.toBe(200);
    expect((await fetch(`http://127.0.0.1:${off.port}/ordo.js`)).status).not.toBe(200);
  });
});
