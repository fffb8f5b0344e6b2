import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKUP_FILE_PREFIX, BackupSessions, MAX_BACKUPS } from '../../broker/admin/index.js';
import { MAX_BACKUP_CHUNK } from '../../broker/protocol/index.js';
import type { Store } from '../../broker/store/index.js';
import { makeTempDir } from '../helpers/broker.js';
import { waitFor } from '../helpers/wait-for.js';

/** BackupSessions [protocol 2.21] over a stand-in store whose backup writes known bytes. */

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const SIZE = 2 * MAX_BACKUP_CHUNK + 1000;
const BYTES = Buffer.from(Array.from({ length: SIZE }, (_, i) => (i * 7) % 256));

async function sessions(idleMs?: number, backup = (path: string) => writeFile(path, BYTES)): Promise<{ backups: BackupSessions; dir: string }> {
  const dir = await makeTempDir('ordo-backups-');
  dirs.push(dir);
  const store = { backup } as unknown as Store;
  return { backups: new BackupSessions(store, dir, idleMs), dir };
}

const files = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((f) => f.startsWith(BACKUP_FILE_PREFIX));

describe('BackupSessions', () => {
  it('reads a backup back in chunks of at most MAX_BACKUP_CHUNK, empty at the end, and removes the file at end', async () => {
    const { backups, dir } = await sessions();
    const { id, bytes } = await backups.start();
    expect(bytes).toBe(SIZE);
    const chunks: Uint8Array[] = [];
    for (let offset = 0; ;) {
      const chunk = await backups.read(id, offset);
      if (chunk.length === 0) break;
      expect(chunk.length).toBeLessThanOrEqual(MAX_BACKUP_CHUNK);
      chunks.push(chunk);
      offset += chunk.length;
    }
    expect(chunks).toHaveLength(3);
    expect(Buffer.concat(chunks).equals(BYTES)).toBe(true);
    expect(await backups.read(id, SIZE + 5)).toHaveLength(0);
    expect(await files(dir)).toHaveLength(1);
    await expect(backups.end(id)).resolves.toEqual({ removed: true });
    expect(await files(dir)).toEqual([]);
    await expect(backups.read(id, 0)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  it('removes a backup nobody reads for idleMs; reading keeps it', async () => {
    const { backups, dir } = await sessions(300);
    const kept = await backups.start();
    const left = await backups.start();
    // Past idleMs in all, with reads of `kept` well inside it.
    for (let i = 0; i < 8; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await backups.read(kept.id, 0);
    }
    await expect(backups.read(left.id, 0)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    expect(await files(dir)).toHaveLength(1);
    await waitFor(async () => (await files(dir)).length === 0, { timeoutMs: 2000 });
  });

  it(`keeps at most ${MAX_BACKUPS} at once (ERR_LIMIT), and removes every file on closeAll`, async () => {
    const { backups, dir } = await sessions();
    for (let i = 0; i < MAX_BACKUPS; i++) await backups.start();
    await expect(backups.start()).rejects.toMatchObject({ code: 'ERR_LIMIT' });
    await backups.closeAll();
    expect(await files(dir)).toEqual([]);
  });

  it('leaves no file behind when the store\'s backup fails', async () => {
    const { backups, dir } = await sessions(undefined, async (path) => {
      await writeFile(path, 'partial');
      throw Object.assign(new Error('disk full'), { code: 'ERR_INTERNAL' });
    });
    await expect(backups.start()).rejects.toMatchObject({ code: 'ERR_INTERNAL' });
    expect(await files(dir)).toEqual([]);
    await expect(backups.start()).rejects.toThrow('disk full'); // the failed one does not count against MAX_BACKUPS
  });

  it('removes a backup that finishes after closeAll, and starts none after it', async () => {
    let finish!: () => void;
    const written = new Promise<void>((resolve) => { finish = resolve; });
    const { backups, dir } = await sessions(undefined, async (path) => {
      await writeFile(path, BYTES);
      await written; // the store lets a running backup finish before it closes
    });
    const starting = backups.start();
    await waitFor(async () => (await files(dir)).length === 1);
    await backups.closeAll();
    finish();
    await expect(starting).rejects.toMatchObject({ code: 'ERR_SHUTTING_DOWN' });
    expect(await files(dir)).toEqual([]);
    await expect(backups.start()).rejects.toMatchObject({ code: 'ERR_SHUTTING_DOWN' });
    expect(await files(dir)).toEqual([]);
  });

  it('removes the backup files a killed broker left in the data directory, and nothing else', async () => {
    const { backups, dir } = await sessions();
    await writeFile(join(dir, `${BACKUP_FILE_PREFIX}0123.db`), BYTES);
    await writeFile(join(dir, `${BACKUP_FILE_PREFIX}4567.db-journal`), 'j');
    await writeFile(join(dir, 'ordo.db'), 'the store');
    await backups.removeLeftovers();
    expect(await readdir(dir)).toEqual(['ordo.db']);
    await expect(new BackupSessions({} as Store, join(dir, 'missing')).removeLeftovers()).resolves.toBeUndefined();
  });
});
