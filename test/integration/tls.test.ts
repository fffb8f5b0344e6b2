import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, OrdoError, type ConnectOptions, type Message, type OrdoClient } from '../../client/index.js';
import { startBroker, type StartBrokerOptions } from '../../broker/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { killLeftoverOrdos, ordoOk, startOrdo, waitForStderr } from '../helpers/ordo-cli.js';
import { useResources } from '../helpers/resources.js';
import { makeTestCerts, type TestCerts } from '../helpers/test-certs.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * wss:// end to end with certificates made at test time by openssl: the SDK
 * and the CLI trust a private CA, client certificates are checked against
 * tls.ca, and bad TLS files stop the broker at start.
 */

const res = useResources();
let certs: TestCerts;
beforeAll(async () => { certs = await makeTestCerts(); });
afterAll(async () => {
  killLeftoverOrdos();
  await certs?.cleanup();
});

async function tlsBroker(extra: StartBrokerOptions = {}): Promise<TestBroker> {
  const tls = { cert: certs.serverCertFile, key: certs.serverKeyFile, ...extra.tls };
  return res.track(await startTestBroker({ ...extra, tls }), (b) => b.cleanup());
}

async function client(url: string, opts: ConnectOptions = {}): Promise<OrdoClient> {
  return res.track(await connect(url, { reconnect: false, connectTimeoutMs: 5000, ...opts }), (c) => c.close());
}

/** The OrdoError a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<OrdoClient>): Promise<OrdoError> {
  const err = await p.then((c) => { void c.close(); throw new Error('expected the connection to be refused'); }, (e: unknown) => e);
  expect(err).toBeInstanceOf(OrdoError);
  return err as OrdoError;
}

/** Publishes at-least-once through one client and receives on another. */
async function roundTrip(pub: OrdoClient, sub: OrdoClient, topic: string): Promise<void> {
  const got: Message[] = [];
  await sub.subscribe(topic, (m) => { got.push(m); });
  await pub.publish(topic, 'over tls', { qos: 'at-least-once' });
  await waitFor(() => got.length === 1, {}, 'the message arrives over wss');
  expect(got[0].payload).toBe('over tls');
}

describe('TLS (wss://)', () => {
  it('serves wss:// to a client that trusts the CA, and publishes and subscribes over it', async () => {
    const b = await tlsBroker();
    expect(b.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    const pub = await client(b.url, { tls: { ca: certs.ca } });
    const sub = await client(b.url, { tls: { ca: certs.ca } });
    await roundTrip(pub, sub, 'tls/a');
  });

  it('a client that does not trust the broker certificate cannot connect', async () => {
    const b = await tlsBroker();
    const err = await rejection(connect(b.url, { reconnect: false, connectTimeoutMs: 5000 }));
    expect(err.code).toBe('ERR_UNREACHABLE');
    expect(b.stats().connections).toBe(0);
  });

  it('with requireClientCert, refuses clients without a certificate or with one from another CA, and admits a valid one', async () => {
    const b = await tlsBroker({ tls: { ca: certs.caFile, requireClientCert: true } });
    expect((await rejection(connect(b.url, { reconnect: false, tls: { ca: certs.ca } }))).code).toBe('ERR_UNREACHABLE');
    const stranger = { ca: certs.ca, cert: certs.strangerCert, key: certs.strangerKey };
    expect((await rejection(connect(b.url, { reconnect: false, tls: stranger }))).code).toBe('ERR_UNREACHABLE');
    expect(b.stats().connections).toBe(0);
    const alice = { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey };
    const pub = await client(b.url, { tls: alice });
    const sub = await client(b.url, { tls: alice });
    await roundTrip(pub, sub, 'tls/b');
  });

  it('passes the common name of a verified client certificate (only) to authentication', async () => {
    const seen: (string | undefined)[] = [];
    const b = await tlsBroker({
      tls: { ca: certs.caFile },
      auth: { enabled: true },
      adminPassword: 'admin-password-1',
      authenticate: (req) => { seen.push(req.certificateUser); return null; },
    });
    // A certificate names a user; the user must exist (removing it locks the certificate out).
    const withCert = { tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } };
    expect((await rejection(connect(b.url, { reconnect: false, ...withCert }))).message).toMatch(/not a user/);
    const admin = await client(b.url, { tls: { ca: certs.ca }, username: 'admin', password: 'admin-password-1' });
    await admin.users.add('alice', 'alice-password');
    seen.length = 0;
    const alice = await client(b.url, withCert);
    expect(alice.state).toBe('connected');
    expect(alice.welcome?.user).toBe('alice');
    expect(seen).toEqual(['alice']);
    // Not required: a certificate from another CA still gets a TLS connection, but names nobody, so auth refuses it.
    const stranger = { ca: certs.ca, cert: certs.strangerCert, key: certs.strangerKey };
    expect((await rejection(connect(b.url, { reconnect: false, tls: stranger }))).code).toBe('ERR_UNAUTHORIZED');
    expect(seen).toEqual(['alice', undefined]);
  });

  it('the CLI publishes and subscribes over wss:// with --ca', async () => {
    const b = await tlsBroker();
    const sub = startOrdo(['sub', 'tls/cli', '--count', '1', '--url', b.url, '--ca', certs.caFile]);
    await waitForStderr(sub, 'subscribed to tls/cli');
    await ordoOk(['pub', 'tls/cli', 'hello over wss', '--qos', 'at-least-once', '--url', b.url, '--ca', certs.caFile]);
    const run = await sub.exited;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('hello over wss');
  });
});

describe('TLS configuration errors stop the broker at start', () => {
  const cases: [string, () => StartBrokerOptions['tls'], RegExp][] = [
    ['a missing certificate file', () => ({ cert: `${certs.dir}/missing.crt`, key: certs.serverKeyFile }), /tls\.cert .*missing\.crt.*cannot be read/],
    ['a key that is not a key', () => ({ cert: certs.serverCertFile, key: certs.serverCertFile }), /tls\.key .*server\.crt.*private key/],
    ['a key that does not match the certificate', () => ({ cert: certs.serverCertFile, key: certs.otherKeyFile }), /tls\.key .*other\.key does not match/],
    ['a missing CA file', () => ({ cert: certs.serverCertFile, key: certs.serverKeyFile, ca: `${certs.dir}/nope.crt` }), /tls\.ca .*nope\.crt/],
  ];
  it.each(cases)('%s: ERR_BAD_CONFIG naming the field and file', async (_name, tls, message) => {
    // Under the certs dir: the TLS files are checked before the data dir is made.
    const err = await startBroker({ host: '127.0.0.1', port: 0, dataDir: `${certs.dir}/data`, tls: tls() }).then(
      async (b) => { await b.close(); throw new Error('the broker started'); },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OrdoError);
    expect((err as OrdoError).code).toBe('ERR_BAD_CONFIG');
    expect((err as OrdoError).message).toMatch(message);
  });
});
