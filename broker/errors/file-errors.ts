/** Why a file operation failed, in words. */
const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EISDIR: 'it is a directory',
  EEXIST: 'it is a file, not a directory',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
};

/** A failed file operation's reason for a one-line message: `permission denied (EACCES)`, or the error's own message. */
export function fileErrorReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === undefined) return (err as Error).message;
  return REASONS[code] === undefined ? code : `${REASONS[code]} (${code})`;
}
