import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir } from './broker.js';

const run = promisify(execFile);

/** Paths of PEM files made for one test file, and their contents where a client needs them in memory. */
export interface TestCerts {
  readonly dir: string;
  /** The test CA's certificate (what clients and the broker trust). */
  readonly caFile: string;
  readonly ca: string;
  /** The broker's certificate (SAN IP:127.0.0.1 and DNS:localhost) and key, signed by the CA. */
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  /** A client certificate with CN `alice`, signed by the CA, and its key. */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A client certificate with CN `mallory` signed by another CA (not trusted by the broker), and its key. */
  readonly strangerCert: string;
  readonly strangerKey: string;
  /** A key that belongs to no certificate here (a wrong tls.key). */
  readonly otherKeyFile: string;
  /** Removes the directory. */
  cleanup(): Promise<void>;
}

/**
 * Makes a test CA, a broker certificate for 127.0.0.1 and client
 * certificates with `openssl` (EC prime256v1, valid 2 days) in a fresh temp
 * dir. Takes a few hundred ms; make them once per file (beforeAll).
 */
export async function makeTestCerts(): Promise<TestCerts> {
  const dir = await makeTempDir('ordo-certs-');
  const p = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): Promise<unknown> => run('openssl', args, { cwd: dir });
  const key = (name: string): Promise<unknown> => openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', p(name));
  const selfSignedCa = (name: string, cn: string): Promise<unknown> => openssl('req', '-x509', '-new', '-key', p(`${name}.key`),
    '-subj', `/CN=${cn}`, '-days', '2', '-out', p(`${name}.crt`),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const signed = async (name: string, cn: string, ca: string, ext: string): Promise<void> => {
    await openssl('req', '-new', '-key', p(`${name}.key`), '-subj', `/CN=${cn}`, '-out', p(`${name}.csr`));
    await writeFile(p(`${name}.ext`), ext);
    await openssl('x509', '-req', '-in', p(`${name}.csr`), '-CA', p(`${ca}.crt`), '-CAkey', p(`${ca}.key`),
      '-CAcreateserial', '-days', '2', '-out', p(`${name}.crt`), '-extfile', p(`${name}.ext`));
  };

  await Promise.all(['ca', 'other-ca', 'server', 'client', 'stranger', 'other'].map((n) => key(`${n}.key`)));
  await Promise.all([selfSignedCa('ca', 'Ordo Test CA'), selfSignedCa('other-ca', 'Other Test CA')]);
  await signed('server', '127.0.0.1', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await signed('client', 'alice', 'ca', 'extendedKeyUsage=clientAuth\n');
  await signed('stranger', 'mallory', 'other-ca', 'extendedKeyUsage=clientAuth\n');

  const text = (name: string): Promise<string> => readFile(p(name), 'utf8');
  return {
    dir,
    caFile: p('ca.crt'),
    ca: await text('ca.crt'),
    serverCertFile: p('server.crt'),
    serverKeyFile: p('server.key'),
    clientCertFile: p('client.crt'),
    clientKeyFile: p('client.key'),
    clientCert: await text('client.crt'),
    clientKey: await text('client.key'),
    strangerCert: await text('stranger.crt'),
    strangerKey: await text('stranger.key'),
    otherKeyFile: p('other.key'),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
