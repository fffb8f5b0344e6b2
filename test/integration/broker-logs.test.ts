import { rm } from 'node:fs/promises';
import { describe, expect, it, vi } from 'vitest';
import { connect } from '../../client/index.js';
import { createLogger } from '../../broker/observability/logger.js';
import { ClientOp } from '../../broker/protocol/index.js';
import { makeTempDir, spawnBrokerProcess, startTestBroker, type BrokerProcess } from '../helpers/broker.js';
import { scrape } from '../helpers/prometheus.js';
import { useResources } from '../helpers/resources.js';
import { waitFor } from '../helpers/wait-for.js';

const res = useResources();
/** A handler that fails, as a bug would: PING throws while `on` (in-process brokers only; child processes run the real one). */
const brokenPing = vi.hoisted(() => ({ on: false }));
vi.mock('../../broker/session/handlers/ping.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../broker/session/handlers/ping.js')>();
  return {
    handlePing: (...args: Parameters<typeof real.handlePing>): void => {
      if (brokenPing.on) throw new Error('ping handler bug');
      real.handlePing(...args);
    },
  };
});
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

  it('warns when ORDO_ADMIN_PASSWORD is given to a store with users, and for each connection past limits.maxConnections', async () => {
    const dataDir = await makeTempDir();
    res.defer(() => rm(dataDir, { recursive: true, force: true }));
    const env = { ORDO_ADMIN_PASSWORD: ADMIN_PASSWORD, ORDO_LIMITS_MAX_CONNECTIONS: '1' };
    await (await spawnBrokerProcess(['--auth'], { dataDir, env })).stop();
    const broker = res.track(await spawnBrokerProcess(['--auth'], { dataDir, env: { ...env, ORDO_ADMIN_PASSWORD: 'another-password-1' } }), (b) => b.stop());
    await waitFor(() => linesOf(broker, 'admin_password_ignored').length === 1, {}, 'admin_password_ignored');
    expect(linesOf(broker, 'admin_password_ignored')[0]).toMatchObject({ level: 'warn', users: 1 });
    expect(linesOf(broker, 'admin_created')).toHaveLength(0);
    // Nothing changed: the first password still logs in.
    const c = res.track(await connect(broker.url, { username: 'admin', password: ADMIN_PASSWORD, reconnect: false }), (x) => x.close());
    await expect(connect(broker.url, { username: 'admin', password: ADMIN_PASSWORD, reconnect: false })).rejects.toMatchObject({ code: 'ERR_TOO_MANY_CONNECTIONS' });
    await waitFor(() => linesOf(broker, 'connection_refused').length === 1, {}, 'connection_refused');
    expect(linesOf(broker, 'connection_refused')[0]).toMatchObject({
      level: 'warn', connectionId: expect.any(String), address: expect.stringMatching(/^127\.0\.0\.1:\d+$/), reason: 'maxConnections',
    });
    expect(linesOf(broker, 'connection_refused')[0].connectionId).not.toBe(c.welcome!.connectionId);
  });

  it('logs an operation whose handler fails as handler_error, counts it in ordo_handler_errors_total, and answers ERR_INTERNAL', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>); return true; } } as unknown as NodeJS.WritableStream;
    const broker = res.track(await startTestBroker({ logger: createLogger({ level: 'info', format: 'json' }, sink) }), (b) => b.cleanup());
    const c = res.track(await connect(broker.url, { reconnect: false }), (x) => x.close());
    expect((await scrape(broker.url)).value('ordo_handler_errors_total')).toBe(0);
    brokenPing.on = true;
    res.defer(() => { brokenPing.on = false; });
    await expect(c.flush()).rejects.toMatchObject({ code: 'ERR_INTERNAL', message: expect.stringContaining('ping handler bug') });
    brokenPing.on = false;
    expect(lines.filter((l) => l.event === 'handler_error')).toEqual([expect.objectContaining({
      level: 'error', connectionId: c.welcome!.connectionId, op: ClientOp.ping, err: expect.objectContaining({ message: 'ping handler bug' }),
    })]);
    expect((await scrape(broker.url)).value('ordo_handler_errors_total')).toBe(1);
    // The connection goes on.
    await c.flush();
  });
});
