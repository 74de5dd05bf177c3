import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as fsPromises from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode } from '../error-code.js';
import { trustProblem } from './trust.js';

/** The file-system calls the key directory makes; injectable so tests can make the disk fail. */
export type FileSystem = Pick<
  typeof fsPromises,
  'open' | 'mkdir' | 'lstat' | 'realpath' | 'rename' | 'rm' | 'link' | 'readdir'
>;

/** The real file system. */
const nodeFileSystem: FileSystem = fsPromises;

// Not defined on Windows, where symlinks need privileges to create; there the flag is simply absent.
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;
const CREATE_NEW = constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | NO_FOLLOW;
const APPEND = constants.O_CREAT | constants.O_APPEND | constants.O_WRONLY | NO_FOLLOW;
const READ = constants.O_RDONLY | NO_FOLLOW;

/** A directory (or file) under the key directory that another user could use to redirect or read keys. */
export class UntrustedPathError extends Error {
  override readonly name = 'UntrustedPathError';
  readonly code = 'EUNTRUSTED';
  constructor(
    readonly path: string,
    readonly rule: string,
  ) {
    super(`${path} ${rule}`);
  }
}

/** A key-directory failure as it may be shown: an untrusted path's own message (the path and the rule it broke), else the error's code. */
export function describeFsError(error: unknown): string {
  if (error instanceof UntrustedPathError) return error.message;
  const code = errorCode(error);
  const path = (error as { path?: unknown })?.path;
  if (typeof path !== 'string') return code;
  switch (code) {
    case 'EEXIST':
    case 'ENOTDIR':
      return `${path} is in the way: a file where a directory must be (${code})`;
    case 'EACCES':
    case 'EPERM':
      return `${path} cannot be written by this user (${code}): check its owner and mode`;
    case 'ENOSPC':
      return `the disk holding ${path} is full (ENOSPC)`;
    case 'EDQUOT':
      return `the disk quota for ${path} is used up (EDQUOT)`;
    case 'EROFS':
      return `${path} is on a read-only file system (EROFS)`;
    case 'ENOENT':
      return `${path} does not exist (ENOENT)`;
    default:
      return `${path}: ${code}`;
  }
}

function currentUid(): number | undefined {
  return process.getuid?.();
}

/**
 * The directory that holds keys, the audit log and the rotation locks. Every directory from its root down to a
 * key is checked before use (a real directory, ours, not group- or world-writable) and files are opened without
 * following symlinks, so another user can neither plant a link that redirects a key nor have us append to (or
 * chmod) a file of theirs.
 */
export class KeyDirectory {
  private root: Promise<string> | undefined;

  constructor(
    /** The directory as configured (absolute). */
    readonly path: string,
    readonly fs: FileSystem = nodeFileSystem,
  ) {}

  private async check(path: string): Promise<void> {
    const problem = trustProblem(path, await this.fs.lstat(path), 'directory');
    if (problem) throw new UntrustedPathError(path, problem);
  }

  private async makeOrCheck(path: string): Promise<void> {
    const created = await this.fs.mkdir(path, { mode: 0o700 }).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST') return false;
        throw error;
      },
    );
    // mkdir's mode is narrowed by the umask, never widened, so a new directory is already private.
    if (!created) await this.check(path);
  }

  /**
   * The checked root. The configured path itself may be a symlink the operator made; what it points to must pass
   * the checks. Created (0700, with missing parents) when absent.
   */
  async ensureRoot(): Promise<string> {
    this.root ??= (async () => {
      await this.fs.mkdir(this.path, { recursive: true, mode: 0o700 });
      const real = await this.fs.realpath(this.path);
      await this.check(real);
      return real;
    })();
    // A failed check is not cached: the operator may fix the directory while the server runs.
    return this.root.catch((error: unknown) => {
      this.root = undefined;
      throw error;
    });
  }

  /** Creates (0700) or checks each directory of `<root>/<parts…>`, and returns its path. */
  async ensure(...parts: string[]): Promise<string> {
    let path = await this.ensureRoot();
    for (const part of parts) {
      path = join(path, part);
      await this.makeOrCheck(path);
    }
    return path;
  }

  /** Creates (0700) or checks the directory `part` in `parent`, a directory `ensure` returned; its path. */
  async ensureIn(parent: string, part: string): Promise<string> {
    const path = join(parent, part);
    await this.makeOrCheck(path);
    return path;
  }

  /** Creates a new file (it must not exist) in a checked directory: mode 0600, never through a symlink. */
  async createFile(path: string): Promise<FileHandle> {
    const handle = await this.fs.open(path, CREATE_NEW, 0o600);
    try {
      // The umask may have narrowed the mode, never widened it; set it exactly anyway.
      await handle.chmod(0o600);
    } catch (error) {
      await handle.close().catch(() => {});
      throw error;
    }
    return handle;
  }

  /** Opens a file for appending (created 0600 when missing), refusing a symlink or a file of another user. */
  async appendFile(path: string): Promise<FileHandle> {
    const handle = await this.fs.open(path, APPEND, 0o600);
    try {
      const stats = await handle.stat();
      const uid = currentUid();
      if (!stats.isFile()) throw new UntrustedPathError(path, 'is not a regular file');
      if (uid !== undefined && stats.uid !== uid) {
        throw new UntrustedPathError(path, `is owned by another user (uid ${stats.uid})`);
      }
      if ((stats.mode & 0o777) !== 0o600) await handle.chmod(0o600);
    } catch (error) {
      await handle.close().catch(() => {});
      throw error;
    }
    return handle;
  }

  /** Reads a file without following a symlink; undefined when it does not exist. */
  async readFile(path: string): Promise<string | undefined> {
    let handle: FileHandle;
    try {
      handle = await this.fs.open(path, READ);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  }

  /** Flushes a directory's entries (a rename) to disk; not every platform can open a directory. */
  async syncDirectory(path: string): Promise<void> {
    const handle = await this.fs.open(path, constants.O_RDONLY).catch(() => undefined);
    try {
      await handle?.sync();
    } catch {
      // fsync on a directory is not supported everywhere; the rename is still atomic.
    } finally {
      await handle?.close();
    }
  }
}
