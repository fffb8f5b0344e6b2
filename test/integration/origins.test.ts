import { describe, expect, it } from 'vitest';
import { connect as tcpConnect } from 'node:net';
import { WebSocket } from 'ws';
import { connect } from '../../client/index.js';
import type { StartBrokerOptions } from '../../broker/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Cross-site WebSocket hijacking: the broker checks a browser's Origin
 * header against config allowedOrigins at the upgrade, before any frame.
 */

const res = useResources();

async function broker(opts: StartBrokerOptions): Promise<TestBroker> {
  return res.track(await startTestBroker(opts), (b) => b.cleanup());
}

/** Opens a raw WebSocket, as a browser would with `origin`: 'open', or the HTTP status it was refused with. */
function upgrade(url: string, origin?: string): Promise<'open' | number> {
  const ws = res.track(new WebSocket(url, { perMessageDeflate: false, ...(origin !== undefined && { origin }) }), (w) => w.terminate());
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve('open'));
    ws.once('unexpected-response', (_req, response) => {
      resolve(response.statusCode ?? 0);
      response.resume();
    });
    ws.once('error', reject);
  });
}

describe('allowed origins', () => {
  it('refuses an unlisted Origin with 403 before the upgrade, and admits a listed one and none', async () => {
    const b = await broker({ allowedOrigins: ['https://app.example', 'http://localhost:8080'] });
    expect(await upgrade(b.url, 'https://evil.example')).toBe(403);
    // Exact match only: another scheme, port or a suffix is another origin.
    expect(await upgrade(b.url, 'http://app.example')).toBe(403);
    expect(await upgrade(b.url, 'https://app.example.evil.example')).toBe(403);
    expect(await upgrade(b.url, 'http://localhost:8081')).toBe(403);
    expect(b.stats().connections).toBe(0);
    expect(await upgrade(b.url, 'https://app.example')).toBe('open');
    expect(await upgrade(b.url, 'http://localhost:8080')).toBe('open');
    expect(await upgrade(b.url)).toBe('open');
  });

  it('by default (empty list) refuses every browser origin and still admits Node clients', async () => {
    const b = await broker({});
    expect(await upgrade(b.url, 'https://app.example')).toBe(403);
    expect(await upgrade(b.url)).toBe('open');
    const c = res.track(await connect(b.url, { reconnect: false }), (x) => x.close());
    expect(c.state).toBe('connected');
  });

  it("'*' admits any origin", async () => {
    const b = await broker({ allowedOrigins: ['*'] });
    expect(await upgrade(b.url, 'https://anything.example')).toBe('open');
    expect(await upgrade(b.url, 'null')).toBe('open');
  });

  it('survives peers that reset the connection as they are refused', async () => {
    const b = await broker({ allowedOrigins: ['https://app.example'] });
    const request = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
      + 'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: https://evil.example\r\n\r\n';
    let closed = 0;
    for (let i = 0; i < 20; i++) {
      const s = tcpConnect({ host: '127.0.0.1', port: b.port }, () => s.write(request, () => s.resetAndDestroy()));
      s.on('error', () => undefined).once('close', () => { closed++; });
    }
    await waitFor(() => closed === 20, {}, 'the resetting peers are gone');
    const c = res.track(await connect(b.url, { reconnect: false }), (x) => x.close());
    expect(c.state).toBe('connected');
  });
});
