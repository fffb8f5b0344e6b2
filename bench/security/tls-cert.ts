/**
 * A self-signed certificate for the section's wss:// brokers, made at run
 * time with openssl in a temp folder (the command of docs/security.md,
 * section 5), valid for 127.0.0.1 where the brokers listen.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isExecutable, makeTempDir, removeTempDir } from '../targets/server-process.js';

/** The openssl the certificate is made with. */
export const OPENSSL = '/usr/bin/openssl';

/** The certificate and key files (for the broker's config) and the certificate's PEM (the clients' `tls.ca`). */
export interface TlsFiles {
  readonly dir: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly ca: string;
}

/** Makes the certificate and its key in a fresh temp folder; the reason as a string when it cannot. */
export async function makeSelfSignedCert(): Promise<TlsFiles | string> {
  if (!(await isExecutable(OPENSSL))) return `${OPENSSL} not found`;
  const dir = await makeTempDir('security-tls');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  try {
    await promisify(execFile)(OPENSSL, [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', keyFile, '-out', certFile,
    ], { timeout: 15_000 });
    return { dir, certFile, keyFile, ca: await readFile(certFile, 'utf8') };
  } catch (err) {
    await removeTempDir(dir);
    return `openssl failed: ${(err as Error).message.split('\n')[0]}`;
  }
}

/** Removes the temp folder of {@link makeSelfSignedCert}. */
export function removeCert(files: TlsFiles | string): Promise<void> {
  return typeof files === 'string' ? Promise.resolve() : removeTempDir(files.dir);
}
