import { execFile } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startTestBroker } from '../helpers/broker.js';
import { useResources } from '../helpers/resources.js';

const res = useResources();
const SDK_URL = new URL('../../dist/client/index.js', import.meta.url).href;
const SCRIPT = new URL('../helpers/global-websocket-client.mjs', import.meta.url).pathname;

async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `ws://127.0.0.1:${port}`;
}

describe('the SDK on a global WebSocket (the browser path)', () => {
  it('publishes, subscribes, requests, closes and reports an unreachable broker', async () => {
    const broker = res.track(await startTestBroker(), (b) => b.cleanup());
    const { stdout } = await promisify(execFile)(
      process.execPath, ['--experimental-websocket', '--no-warnings', SCRIPT, SDK_URL, broker.url, await deadUrl()],
      { timeout: 20_000 },
    );
    const result = JSON.parse(stdout.trim()) as Record<string, unknown>;
    expect(result).toEqual({
      hasGlobalWebSocket: true,
      reply: 'ping',
      received: ['text', [1, 2, 3], { n: 1 }],
      closedState: 'closed',
      deadUrl: 'ERR_UNREACHABLE',
    });
  });
});
