import { Command, Option } from 'commander';
import { jsonLine, plural } from '../format.js';
import { runCommand } from '../run-command.js';

interface RestoreFlags {
  data: string;
  force?: boolean;
  json?: boolean;
}

/**
 * `ordo restore FILE --data DIR`: puts a backup (ordo backup) in place of
 * DIR's store, offline. The broker must be stopped: a store a running
 * broker holds is never replaced.
 */
export function restoreCommand(): Command {
  return new Command('restore')
    .description('put the backup FILE (made by ordo backup) in place of the store of data directory DIR, with the broker stopped;'
      + ' FILE is checked first (an undamaged Ordo store this Ordo can open)')
    .argument('<file>', 'the backup')
    .addOption(new Option('--data <dir>', 'the broker\'s data directory (created if missing)').env('ORDO_DATA_DIR').makeOptionMandatory())
    .option('--force', 'replace the store DIR already has (it is lost)')
    .option('--json', 'machine-readable output: one JSON object')
    .addHelpText('after', '\nExamples:\n  $ ordo restore ordo-backup.db --data ./data\n  $ ordo restore /backups/ordo-2024-05-01.db --data /var/lib/ordo --force\n')
    .action((file: string, flags: RestoreFlags) => runCommand(async () => {
      // Loaded here: only this command and `ordo broker` need the store (and better-sqlite3).
      const { restoreStore } = await import('../../broker/store/index.js');
      const info = await restoreStore(file, flags.data, { force: flags.force });
      process.stdout.write(flags.json === true
        ? `${jsonLine({ file, dataDir: flags.data, ...info })}\n`
        : `restored ${file} into ${flags.data}: ${plural(info.messages, 'message')}, ${plural(info.queues, 'queue')},`
          + ` schema version ${info.schemaVersion}\n`);
    }));
}
