import { readFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveConsole } from '../../broker/http/console-files.js';

/**
 * serveConsole, behind a plain HTTP server that answers 404 to whatever it
 * declines: the console's files from dist/web (`npm run build`), their
 * headers, and no way to any other file.
 */

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (!serveConsole(req, res)) res.writeHead(404).end('not here');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Sends `path` as is (no URL normalisation, unlike fetch), so traversal attempts reach the server. */
function get(path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (s: string) => { body += s; }).on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject).end();
  });
}

describe('serveConsole', () => {
  it('serves the page, its script, style and icon, and the SDK, with their types', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toBe(await readFile(new URL('../../dist/web/index.html', import.meta.url), 'utf8'));
    expect((await get('/index.html?x=1')).body).toBe(page.body);
    expect((await get('/console.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await get('/console.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await get('/favicon.svg')).headers['content-type']).toBe('image/svg+xml');
    const sdk = await get('/ordo.js');
    expect(sdk.status).toBe(200);
    expect(sdk.body).toContain('export');
  });

  it('sends a strict Content-Security-Policy and no-sniff, and revalidates by ETag', async () => {
    const page = await get('/');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['cache-control']).toBe('no-cache');
    const etag = String(page.headers.etag);
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await get('/', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
    expect((await get('/console.js', { headers: { 'if-none-match': etag } })).status).toBe(200);
  });

  it('lets pages of other origins load the SDK, and only the SDK', async () => {
    const sdk = await get('/ordo.js', { headers: { origin: 'https://app.example' } });
    expect(sdk.headers['access-control-allow-origin']).toBe('*');
    expect(sdk.headers['cross-origin-resource-policy']).toBe('cross-origin');
    for (const path of ['/', '/console.js', '/console.css']) {
      const own = await get(path, { headers: { origin: 'https://app.example' } });
      expect(own.headers['access-control-allow-origin'], path).toBeUndefined();
      expect(own.headers['cross-origin-resource-policy'], path).toBe('same-origin');
    }
  });

  it('answers HEAD without a body and other methods with 405', async () => {
    const head = await get('/ordo.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(10_000);
    expect(head.body).toBe('');
    const post = await get('/', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it('declines every other path: no way out of its list of files', async () => {
    const attempts = [
      '/metrics', '/nothing.js', '/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '//etc/passwd',
      '/console.js/../../../package.json', '/web/main.ts', '/ordo.js.map', '/index.html/', '/%2Fetc%2Fpasswd',
      '/constructor', '/__proto__', '/hasOwnProperty', '/toString',
    ];
    for (const path of attempts) {
      const answer = await get(path);
      expect(answer.status, path).toBe(404);
      expect(answer.body, path).toBe('not here');
    }
  });
});
