// Builds what browsers load into dist/web (run by `npm run build`, after tsc):
//   ordo.js      the SDK (client/index.ts) as one ES module, on the browser's own WebSocket
//   console.js   the web console (web/main.ts); it imports the SDK from ./ordo.js at run time
//   console.css, index.html, favicon.svg
// The broker serves these files (broker/http/console-files.ts). Prints each file's size, raw and gzipped.
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
const common = { bundle: true, format: 'esm', platform: 'browser', target: 'es2022', minify: true, legalComments: 'none', logLevel: 'warning' };

/** Browsers always have a WebSocket: the Node transport (and with it `ws`) stays out of the bundle. */
const noNodeTransport = {
  name: 'no-node-transport',
  setup(b) {
    b.onResolve({ filter: /\/node-transport\.js$/ }, () => ({ path: 'node-transport', namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
      contents: "export function openNodeTransport() { throw new Error('ordo: this browser has no WebSocket'); }",
    }));
  },
};

/** The console's imports of the SDK become imports of the SDK bundle beside it, so browsers load the SDK once. */
const sdkFromBundle = {
  name: 'sdk-from-bundle',
  setup(b) {
    b.onResolve({ filter: /\/client\/index\.js$/ }, () => ({ path: './ordo.js', external: true }));
  },
};

await mkdir(out, { recursive: true });
await build({ ...common, entryPoints: [join(root, 'client/index.ts')], outfile: join(out, 'ordo.js'), plugins: [noNodeTransport] });
await build({ ...common, entryPoints: [join(root, 'web/main.ts')], outfile: join(out, 'console.js'), plugins: [sdkFromBundle] });
await build({ ...common, entryPoints: [join(root, 'web/console.css')], outfile: join(out, 'console.css') });
for (const file of ['index.html', 'favicon.svg']) await copyFile(join(root, 'web', file), join(out, file));

for (const file of ['ordo.js', 'console.js', 'console.css', 'index.html']) {
  const path = join(out, file);
  const { size } = await stat(path);
  const gz = gzipSync(await readFile(path)).length;
  console.log(`${relative(root, path).padEnd(24)} ${(size / 1024).toFixed(1).padStart(6)} KiB  (${(gz / 1024).toFixed(1)} KiB gzipped)`);
}
