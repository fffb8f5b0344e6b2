import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { requestPath } from './request-path.js';

/**
 * The web console's static files and the browser SDK, served on the
 * broker's port [docs/operations.md "Web console"]. Only the files named in
 * FILES are ever read, by their fixed names: a request path is a key into
 * that table, never joined to a directory, so no path reaches any other file.
 *
 * The files are what `npm run build` writes to dist/web (scripts/build-web.mjs).
 * They are read once, at the first request that wants them, and kept in memory.
 */

/**
 * Request path → file in dist/web, its content type, and whether pages of
 * other origins may load it: the SDK may be (`import … from
 * 'http://broker:7700/ordo.js'`), being public code; the console's own files not.
 */
const FILES: Readonly<Record<string, { file: string; type: string; isShared?: boolean }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
  '/ordo.js': { file: 'ordo.js', type: 'text/javascript; charset=utf-8', isShared: true },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

/**
 * The page may load scripts, styles and images from the broker only, open
 * WebSockets to it only (`'self'` covers ws:/wss: of the same host), run no
 * inline script, and be framed by nobody.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
  "connect-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** The SDK, loadable as a module script by a page of any origin (module scripts need CORS). */
const SHARED_HEADERS = {
  ...SECURITY_HEADERS,
  'cross-origin-resource-policy': 'cross-origin',
  'access-control-allow-origin': '*',
};

/**
 * dist/web: beside this module's compiled copy (dist/broker/http → dist/web),
 * or, when this module runs from its TypeScript source (tests), the repo's dist/web.
 */
const WEB_DIR = new URL(import.meta.url.endsWith('.ts') ? '../../dist/web/' : '../../web/', import.meta.url);

interface LoadedFile {
  body: Buffer;
  type: string;
  etag: string;
  headers: Record<string, string>;
}

const loaded = new Map<string, LoadedFile>();

/** The file of FILES[path], read at its first request; null while it is not built. */
function load(path: string): LoadedFile | null {
  const { file, type, isShared } = FILES[path];
  const known = loaded.get(file);
  if (known !== undefined) return known;
  let body: Buffer;
  try {
    body = readFileSync(fileURLToPath(new URL(file, WEB_DIR)));
  } catch {
    return null; // not built (yet: a build may be running): tried again at the next request
  }
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  const entry = { body, type, etag, headers: isShared === true ? SHARED_HEADERS : SECURITY_HEADERS };
  loaded.set(file, entry);
  return entry;
}

/**
 * Answers a GET or HEAD request for the console's page (`/`), its script,
 * style and icon, or the browser SDK (`/ordo.js`); returns false, writing
 * nothing, for any other path, so the caller answers it. Files carry an
 * ETag and `Cache-Control: no-cache` (a browser revalidates, and gets 304
 * while the broker runs the same build), the page a strict
 * Content-Security-Policy; only the SDK may be loaded by pages of other
 * origins (CORS). 405 for other methods, 503 when the console was
 * not built (`npm run build`).
 */
export function serveConsole(req: IncomingMessage, res: ServerResponse): boolean {
  const path = requestPath(req.url);
  if (path === undefined || !Object.hasOwn(FILES, path)) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    return true;
  }
  const file = load(path);
  if (file === null) {
    res.writeHead(503, { 'content-type': 'text/plain', 'cache-control': 'no-store' })
      .end('the web console is not built: run `npm run build`\n');
    return true;
  }
  const headers = { ...file.headers, 'cache-control': 'no-cache', etag: file.etag };
  if (req.headers['if-none-match'] === file.etag) {
    res.writeHead(304, headers).end();
    return true;
  }
  res.writeHead(200, { ...headers, 'content-type': file.type, 'content-length': file.body.length });
  res.end(req.method === 'HEAD' ? undefined : file.body);
  return true;
}
