import { closeSync, constants, lstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import { ConfigError } from '../config.js';
import { errorCode } from '../error-code.js';

// The trust rules for anything that says where keys go, what runs with them or who may ask: the key directory, the
// delivery file, a delivery program, the HTTP server's token file. Another user who can write to such a path could redirect a key or run code as us.

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

/**
 * Reads a file the program trusts (what it says decides where keys go, or who may rotate them), refusing one
 * another user could have written or redirected: a regular file, never a symlink (checked, and refused again at
 * open), owned by this user and writable by nobody else, in a directory nobody else can write to. A refusal is a
 * `ConfigError` naming `setting`, the path and the fix.
 */
export function readTrustedFile(
  path: string,
  setting: string,
  options: { maxBytes: number; what: string },
): string {
  const fail = (rule: string): never => {
    throw new ConfigError(setting, `${setting}: ${rule}.`);
  };
  if (!isAbsolute(path)) fail('must be an absolute path');
  let stats: Stats | undefined;
  try {
    stats = lstatSync(path);
  } catch (error) {
    fail(`${path} cannot be read (${errorCode(error)})`);
  }
  if (!stats) return fail(`${path} cannot be read`);
  const problem = trustProblem(path, stats, 'file');
  if (problem) fail(`${path} ${problem}`);
  const dir = dirname(path);
  const dirProblem = trustProblem(dir, lstatSync(dir), 'directory', 'self-or-root');
  if (dirProblem) fail(`${dir} (${options.what}'s directory) ${dirProblem}`);
  if (stats.size > options.maxBytes) fail(`${path} is larger than ${options.maxBytes} bytes`);
  let fd = -1;
  try {
    // Never through a symlink, even one planted between the check above and this open.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    fail(`${path} cannot be read (${errorCode(error)})`);
  }
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
