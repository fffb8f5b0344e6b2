import { describe, expect, it } from 'vitest';
import { OrdoError, startBroker, type StartBrokerOptions } from '../../broker/index.js';
import { isLoopbackHost } from '../../broker/transport/index.js';
import { startTestBroker } from '../helpers/broker.js';
import { useResources } from '../helpers/resources.js';

/** An open broker (no authentication) listens beyond loopback only when told so with auth.allowAnonymous. */

const res = useResources();

async function startError(opts: StartBrokerOptions): Promise<OrdoError> {
  // No data dir is made: the check runs before the store opens.
  const err = await startBroker({ port: 0, dataDir: '/nonexistent/ordo-exposure-test', ...opts }).then(
    async (b) => { await b.close(); throw new Error('the broker started'); },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OrdoError);
  return err as OrdoError;
}

describe('listening beyond loopback', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each(['0.0.0.0', '::', '10.0.0.1', '192.168.1.10', 'example.com', '128.0.0.1', '::ffff:10.0.0.1'])('%s is not loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });

  it.each(['0.0.0.0', '::'])('refuses to start on %s with authentication off, naming the fix', async (host) => {
    const err = await startError({ host });
    expect(err.code).toBe('ERR_BAD_CONFIG');
    expect(err.message).toMatch(/host .* not a loopback address/);
    expect(err.message).toContain('allowAnonymous');
  });

  it('starts on 0.0.0.0 when anonymous access is allowed explicitly', async () => {
    const b = res.track(await startTestBroker({ host: '0.0.0.0', auth: { allowAnonymous: true } }), (x) => x.cleanup());
    expect(b.url).toMatch(/^ws:\/\/0\.0\.0\.0:\d+$/);
    expect(b.port).toBeGreaterThan(0);
  });

  it('starts on 0.0.0.0 with authentication on', async () => {
    const b = res.track(await startTestBroker({ host: '0.0.0.0', auth: { enabled: true }, adminPassword: 'admin-password-1' }), (x) => x.cleanup());
    expect(b.port).toBeGreaterThan(0);
  });
});
