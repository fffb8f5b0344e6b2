import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBroker } from '../../broker/index.js';
import { OrdoError } from '../../client/index.js';
import { makeTempDir, startTestBroker } from '../helpers/broker.js';
import { useResources } from '../helpers/resources.js';

const res = useResources();

async function tempDir(): Promise<string> {
  const dir = await makeTempDir();
  res.defer(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('the data directory', () => {
  it('holds the SQLite store (ordo.db) once the broker runs, under the default fsync durability', async () => {
    const dir = join(await tempDir(), 'nested', 'data');
    const broker = res.track(await startTestBroker({ dataDir: dir }), (b) => b.cleanup());
    expect(broker.config.durability).toBe('fsync');
    expect(existsSync(join(dir, 'ordo.db'))).toBe(true);
  });

  it('stays empty with durability memory', async () => {
    const dir = await tempDir();
    res.track(await startTestBroker({ dataDir: dir, durability: 'memory' }), (b) => b.cleanup());
    expect(existsSync(join(dir, 'ordo.db'))).toBe(false);
  });

  it('refuses to start on a data directory that is a file, naming it, and leaves nothing listening', async () => {
    const file = join(await tempDir(), 'not-a-dir');
    await writeFile(file, 'x');
    const err = await startBroker({ host: '127.0.0.1', port: 0, dataDir: file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toContain('not-a-dir');
  });

  it('refuses an unknown durability with ERR_BAD_CONFIG naming the field', async () => {
    const err = await startBroker({ port: 0, dataDir: await tempDir(), durability: 'disk' as 'fsync' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OrdoError);
    expect((err as OrdoError).code).toBe('ERR_BAD_CONFIG');
    expect((err as OrdoError).message).toContain('durability');
  });
});
