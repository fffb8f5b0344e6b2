import { describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { spawnBrokerProcess, type BrokerProcess } from '../helpers/broker.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';

const res = useResources();
const ADMIN_PASSWORD = 'logs-admin-password';

/** The JSON lines of the child's stderr (other lines, such as a signal notice, are left out). */
function logLines(broker: BrokerProcess): Record<string, unknown>[] {
  return broker.stderr().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

function linesOf(broker: BrokerProcess, event: string): Record<string, unknown>[] {
  return logLines(broker).filter((l) => l.event === event);
}

describe('the broker process log (stderr, JSON lines when not a terminal)', () => {
  it('has a line per connection open and close, per failed login, and its start and stop', async () => {
    const broker = res.track(await spawnBrokerProcess(['--auth'], { env: { ORDO_ADMIN_PASSWORD: ADMIN_PASSWORD } }), (b) => b.stop());
    const c = await connect(broker.url, { clientId: 'log-test', username: 'admin', password: ADMIN_PASSWORD, reconnect: false });
    const connectionId = c.welcome!.connectionId;
    await waitFor(() => linesOf(broker, 'connection_open').length === 1, {}, 'connection_open');
    await c.close();
    await waitFor(() => linesOf(broker, 'connection_close').length === 1, {}, 'connection_close');
    await expect(connect(broker.url, { username: 'admin', password: 'not-the-password', reconnect: false })).rejects.toMatchObject({ code: 'ERR_UNAUTHORIZED' });
    await waitFor(() => linesOf(broker, 'login_failed').length === 1, {}, 'login_failed');

    const [open] = linesOf(broker, 'connection_open');
    expect(open).toMatchObject({
      level: 'info', connectionId, clientId: 'log-test', user: 'admin', address: expect.stringMatching(/^127\.0\.0\.1:\d+$/), protocolVersion: 1,
    });
    expect(open.time).toEqual(expect.any(String));
    const [close] = linesOf(broker, 'connection_close');
    expect(close).toMatchObject({ level: 'info', connectionId, clientId: 'log-test', user: 'admin', code: 1000, durationMs: expect.any(Number) });
    const [failed] = linesOf(broker, 'login_failed');
    expect(failed).toMatchObject({ level: 'warn', user: 'admin', reason: 'wrong user name or password', address: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    expect(JSON.stringify(logLines(broker))).not.toContain('not-the-password');
    expect(linesOf(broker, 'admin_created')).toHaveLength(1);
    expect(linesOf(broker, 'broker_started')[0]).toMatchObject({ level: 'info', url: broker.url, auth: true });
    // The refused connection never opened: its close is a debug line, not written at the default level.
    expect(linesOf(broker, 'connection_close')).toHaveLength(1);

    await broker.stop();
    expect(linesOf(broker, 'broker_stopped')).toHaveLength(1);
  });
});
