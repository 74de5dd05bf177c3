// The trust rules for anything that says where keys go or what runs with them: the key directory, the delivery
// file, a delivery program. Another user who can write to such a path could redirect a key or run code as us.

/** What the rules look at, as `lstat`/`stat` return it. */
export interface TrustStats {
  isDirectory(): boolean;
  isFile(): boolean;
  isSymbolicLink(): boolean;
  uid: number;
  mode: number;
}

/** Who may own a trusted path: this process's user only, or also root (system directories and programs). */
export type Owners = 'self' | 'self-or-root';

function currentUid(): number | undefined {
  return process.getuid?.();
}

/**
 * Why `path` may not be trusted as `kind`, or undefined when it may: the right type (never a symlink), owned by
 * this process's user (or root, when allowed) and writable by nobody else. Without user ids (Windows) only the
 * type is checked.
 */
export function trustProblem(
  path: string,
  stats: TrustStats,
  kind: 'directory' | 'file',
  owners: Owners = 'self',
): string | undefined {
  if (stats.isSymbolicLink()) {
    return kind === 'directory'
      ? 'is a symbolic link; keys are never written through one'
      : 'is a symbolic link; it is never followed';
  }
  if (kind === 'directory' && !stats.isDirectory()) return 'is not a directory';
  if (kind === 'file' && !stats.isFile()) return 'is not a regular file';
  const uid = currentUid();
  if (uid === undefined) return undefined;
  const rootAllowed = owners === 'self-or-root' && stats.uid === 0;
  if (stats.uid !== uid && !rootAllowed) {
    return `is owned by another user (uid ${stats.uid}, this server runs as uid ${uid})`;
  }
  if ((stats.mode & 0o022) !== 0) {
    const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
    return `is writable by other users (mode ${mode}); run: chmod go-w '${path}'`;
  }
  return undefined;
}
