import * as fs from 'node:fs/promises';
import type { FileSystem } from '../store/key-directory.js';

/** A file layer whose writes fail with an errno code once armed, as a full, read-only or failing disk does. */
export interface FailingFiles extends FileSystem {
  /** From now on, matching writes fail. */
  arm(): void;
  /** How many writes failed so far. */
  readonly failures: number;
}

const WRITING = new Set(['write', 'writeFile', 'appendFile', 'sync', 'datasync', 'truncate']);

/**
 * Real files, except that once armed every write, sync or truncate on a file opened under `under` (default:
 * anywhere) rejects with `failWrites` (ENOSPC, EROFS, EIO…), at most `times` times, after sparing the first `after`. Opening and creating still
 * work, as they do on a full disk.
 */
export function failingFiles(options: {
  failWrites: string;
  under?: string;
  times?: number;
  armed?: boolean;
  /** Matching writes that still succeed once armed, before the first failure. */
  after?: number;
}): FailingFiles {
  let armed = options.armed ?? false;
  let left = options.times ?? Number.POSITIVE_INFINITY;
  let spared = options.after ?? 0;
  let failures = 0;
  const matches = (path: string) => options.under === undefined || path.startsWith(options.under);

  const open = (async (path: string, flags?: string | number, mode?: number) => {
    const handle = await fs.open(path, flags, mode);
    return new Proxy(handle, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        if (!WRITING.has(String(property))) return value.bind(target);
        return (...args: unknown[]) => {
          if (armed && left > 0 && matches(String(path))) {
            if (spared > 0) {
              spared -= 1;
              return value.apply(target, args);
            }
            left -= 1;
            failures += 1;
            return Promise.reject(
              Object.assign(new Error(`${options.failWrites}: injected failure, ${String(property)}`), {
                code: options.failWrites,
                syscall: String(property),
              }),
            );
          }
          return value.apply(target, args);
        };
      },
    });
  }) as FileSystem['open'];

  return {
    open,
    mkdir: fs.mkdir,
    lstat: fs.lstat,
    realpath: fs.realpath,
    rename: fs.rename,
    rm: fs.rm,
    link: fs.link,
    readdir: fs.readdir,
    arm() {
      armed = true;
    },
    get failures() {
      return failures;
    },
  };
}
