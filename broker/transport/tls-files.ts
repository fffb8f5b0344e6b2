import { readFile } from 'node:fs/promises';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { OrdoError } from '../errors/index.js';
import type { BrokerConfig } from '../config/index.js';

/** The PEM contents of the tls.* files, checked to be usable together. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Present when tls.ca is set: client certificates are then requested. */
  readonly ca?: Buffer | undefined;
}

/**
 * Reads the files tls.cert, tls.key and tls.ca name; undefined when TLS is
 * off (no tls.cert). Checks each parses and that the key belongs to the
 * certificate, so a wrong file fails at start (ERR_BAD_CONFIG naming the
 * field and file) rather than at the first client's handshake.
 */
export async function readTlsFiles(tls: BrokerConfig['tls']): Promise<TlsMaterial | undefined> {
  if (tls.cert === '') return undefined;
  const cert = await readPem('tls.cert', tls.cert);
  const key = await readPem('tls.key', tls.key);
  const ca = tls.ca === '' ? undefined : await readPem('tls.ca', tls.ca);
  const x509 = parse('tls.cert', tls.cert, 'is not a PEM certificate', () => new X509Certificate(cert));
  const privateKey = parse('tls.key', tls.key, 'is not an unencrypted PEM private key', () => createPrivateKey(key));
  if (!matches(x509, privateKey)) fail('tls.key', tls.key, `does not match the certificate in tls.cert (${tls.cert})`);
  if (ca !== undefined) parse('tls.ca', tls.ca, 'is not a PEM certificate bundle', () => new X509Certificate(ca));
  return { cert, key, ca };
}

async function readPem(field: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    return fail(field, path, `cannot be read: ${(err as Error).message}`);
  }
}

function parse<T>(field: string, path: string, what: string, make: () => T): T {
  try {
    return make();
  } catch (err) {
    return fail(field, path, `${what}: ${(err as Error).message}`);
  }
}

function matches(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.checkPrivateKey(key);
  } catch {
    // A key of another type than the certificate's (EC key, RSA certificate) throws rather than answering false.
    return false;
  }
}

function fail(field: string, path: string, reason: string): never {
  throw new OrdoError('ERR_BAD_CONFIG', `config ${field} ${path} ${reason}`);
}
