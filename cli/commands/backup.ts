import { existsSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { Command } from 'commander';
import { fileErrorReason } from '../../broker/errors/file-errors.js';
import { OrdoError } from '../../client/index.js';
import { jsonLine } from '../format.js';
import { withClientOptions, type ClientFlags } from '../options.js';
import { amount, progressBar } from '../progress.js';
import { runCommand, withClient } from '../run-command.js';

interface BackupFlags extends ClientFlags {
  force?: boolean;
}

/**
 * `ordo backup FILE`: an online backup of the broker's store, taken by the
 * broker (a consistent SQLite file while it keeps running) and streamed to
 * FILE. Written to FILE.partial first and renamed once complete and synced,
 * so FILE is never a half backup.
 */
export function backupCommand(): Command {
  return withClientOptions(new Command('backup'))
    .description('copy the running broker\'s store to FILE (an SQLite file, consistent while the broker runs),'
      + ' with a progress bar; ordo restore puts it back. Needs an administrator once authentication is on')
    .argument('<file>', 'where to write the backup')
    .option('--force', 'overwrite FILE if it exists')
    .addHelpText('after', '\nExamples:\n  $ ordo backup ordo-backup.db\n  $ ORDO_USER=admin ORDO_PASSWORD=... ordo backup /backups/ordo-$(date +%F).db --force\n')
    .action((file: string, flags: BackupFlags) => runCommand(async () => {
      if (flags.force !== true && existsSync(file)) throw new OrdoError('ERR_CONFLICT', `${file} exists: pass --force to overwrite it`);
      const { bytes } = await withClient(flags, (client) => backupTo(file, (onChunk, onProgress) => client.admin.backup(onChunk, onProgress)));
      process.stdout.write(flags.json ? `${jsonLine({ file, bytes })}\n` : `wrote ${amount(bytes, 'bytes')} (${bytes} bytes) to ${file}\n`);
    }));
}

/** The SDK's backup call: chunks in order, progress as bytes done of the total. */
type BackupStream = (
  onChunk: (chunk: Uint8Array) => Promise<void>,
  onProgress: (done: number, total: number) => void,
) => Promise<{ bytes: number }>;

/** Streams a backup into `file` through `file.partial`: synced, then renamed; the partial file removed on failure. */
async function backupTo(file: string, stream: BackupStream): Promise<{ bytes: number }> {
  const partial = `${file}.partial`;
  // Opened before asking the broker for anything: a path that cannot be written fails at once, naming FILE.
  const handle = await open(partial, 'w').catch((err: NodeJS.ErrnoException) => {
    throw new OrdoError('ERR_BAD_REQUEST', `cannot write ${file}: ${fileErrorReason(err)}`);
  });
  const bar = progressBar(`backup to ${file}`, 0, { unit: 'bytes' });
  try {
    const result = await stream(async (chunk) => { await handle.writeFile(chunk); }, (done, total) => bar.update(done, total));
    await handle.sync();
    await handle.close();
    await rename(partial, file);
    return result;
  } catch (err) {
    await handle.close().catch(() => undefined);
    await rm(partial, { force: true });
    throw err;
  } finally {
    bar.finish();
  }
}
