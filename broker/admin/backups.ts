import { randomBytes } from 'node:crypto';
import { open, readdir, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { OrdoError } from '../errors/index.js';
import { MAX_BACKUP_CHUNK, type BackupInfo } from '../protocol/index.js';
import type { Store } from '../store/index.js';

/** A backup not read for this long is removed, ms. */
export const BACKUP_IDLE_MS = 60_000;
/** Most backups kept at once: each is a full copy of the store on the data directory's disk. */
export const MAX_BACKUPS = 2;
/** Backup files are named `<prefix><id>.db` in the data directory. */
export const BACKUP_FILE_PREFIX = '.ordo-backup-';

interface Backup {
  readonly path: string;
  readonly file: FileHandle;
  readonly bytes: number;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Online backups being read by their client [protocol 2.21]: each a SQLite
 * online backup of the store, written to a file in the data directory and
 * read back in chunks of at most MAX_BACKUP_CHUNK bytes. A backup goes with
 * `end`, after BACKUP_IDLE_MS without a read, or when the broker stops.
 */
export class BackupSessions {
  private readonly backups = new Map<string, Backup>();
  private starting = 0;
  /** Set by closeAll(): a backup still being written then is removed once written, and none starts. */
  private isClosed = false;

  constructor(
    private readonly store: Store,
    private readonly dataDir: string,
    /** How long an unread backup is kept, ms (tests shorten it). */
    private readonly idleMs = BACKUP_IDLE_MS,
  ) {}

  /** Takes a backup now; ERR_LIMIT while MAX_BACKUPS are kept. */
  async start(): Promise<BackupInfo> {
    if (this.isClosed) throw new OrdoError('ERR_SHUTTING_DOWN', 'the broker is stopping: no backup now');
    if (this.backups.size + this.starting >= MAX_BACKUPS) {
      throw new OrdoError('ERR_LIMIT', `${MAX_BACKUPS} backups are being read: end one, or wait ${this.idleMs / 1000} s for an abandoned one to go`);
    }
    const id = randomBytes(16).toString('hex');
    const path = join(this.dataDir, `${BACKUP_FILE_PREFIX}${id}.db`);
    this.starting++;
    try {
      await this.store.backup(path);
      // closeAll() ran while the copy was being written (the store lets a running backup finish before it closes).
      if (this.isClosed) throw new OrdoError('ERR_SHUTTING_DOWN', 'the broker stopped while the backup was being written');
      const file = await open(path, 'r');
      const { size } = await file.stat();
      this.backups.set(id, { path, file, bytes: size, timer: this.expiry(id) });
      return { id, bytes: size };
    } catch (err) {
      await rm(path, { force: true });
      throw err;
    } finally {
      this.starting--;
    }
  }

  /** Up to MAX_BACKUP_CHUNK bytes of backup `id` from `offset`; empty at the end. */
  async read(id: string, offset: number): Promise<Uint8Array> {
    const backup = this.get(id);
    clearTimeout(backup.timer);
    backup.timer = this.expiry(id);
    const length = Math.max(0, Math.min(MAX_BACKUP_CHUNK, backup.bytes - offset));
    if (length === 0) return new Uint8Array(0);
    const chunk = Buffer.alloc(length);
    const { bytesRead } = await backup.file.read(chunk, 0, length, offset);
    return chunk.subarray(0, bytesRead);
  }

  /** Removes backup `id`. */
  async end(id: string): Promise<{ removed: true }> {
    await this.remove(this.get(id), id);
    return { removed: true };
  }

  /** Removes every backup, and those still being written once they are (the broker stops). */
  async closeAll(): Promise<void> {
    this.isClosed = true;
    await Promise.all([...this.backups].map(([id, backup]) => this.remove(backup, id)));
  }

  /**
   * Removes backup files a previous run left in the data directory (it was
   * killed while a backup was kept or written): nobody can read them any
   * more, and each is a full copy of the store. Call before the first start().
   */
  async removeLeftovers(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dataDir);
    } catch {
      return; // no directory: nothing left over
    }
    const leftovers = names.filter((name) => name.startsWith(BACKUP_FILE_PREFIX));
    await Promise.all(leftovers.map((name) => rm(join(this.dataDir, name), { force: true })));
  }

  private get(id: string): Backup {
    const backup = this.backups.get(id);
    if (backup === undefined) throw new OrdoError('ERR_NOT_FOUND', `no backup ${id} (it ended, or went after ${this.idleMs / 1000} s without a read)`);
    return backup;
  }

  private expiry(id: string): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      const backup = this.backups.get(id);
      if (backup !== undefined) void this.remove(backup, id);
    }, this.idleMs);
    timer.unref();
    return timer;
  }

  private async remove(backup: Backup, id: string): Promise<void> {
    this.backups.delete(id);
    clearTimeout(backup.timer);
    await backup.file.close().catch(() => undefined);
    await rm(backup.path, { force: true });
  }
}
