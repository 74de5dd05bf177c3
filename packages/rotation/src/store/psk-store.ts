import { createHash, randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Secret } from '@ipsec-psk/core';
import { errorCode } from '../error-code.js';
import type { KeyDirectory } from './key-directory.js';

/** A short, non-reversible identifier of a key, to tell keys apart without showing them. */
export function fingerprint(psk: Secret): string {
  return `sha256:${createHash('sha256').update(psk.reveal()).digest('hex').slice(0, 16)}`;
}

// Written into a reservation before the key exists: one block, far more than a key (Cloudflare's are 32
// characters), so the block the key needs is allocated before Cloudflare is asked. An empty file needs no data
// block, which is why an empty probe file passes on a full disk.
const RESERVED_BYTES = 4096;

// Pauses before writing a new file after the reserved one failed: a disk error may pass, an operator may fix a
// directory. Short, because the client may kill the server a few seconds after it leaves.
const RETRY_DELAYS_MS = [100, 400];

/** Where a key ended up, or that it ended up nowhere; `failures` names each place tried and its error code. */
export type StoreResult =
  | { stored: true; file: string; fallback: boolean; failures: string[] }
  | { stored: false; failures: string[] };

function failure(path: string, error: unknown): string {
  return `${path}: ${errorCode(error)}`;
}

function keyFileName(now: Date): string {
  return `${now.toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}.psk`;
}

/** Writes a key to a new file atomically: 0600 temp file beside it (never through a symlink), fsync, rename. */
async function writeKeyFile(
  directory: KeyDirectory,
  dir: string,
  name: string,
  psk: Secret,
): Promise<string> {
  const temp = join(dir, `.${name}.tmp`);
  const path = join(dir, name);
  const handle = await directory.createFile(temp);
  try {
    await handle.writeFile(psk.reveal(), 'utf8');
    await handle.sync();
    await handle.close();
    await directory.fs.rename(temp, path);
  } catch (error) {
    await handle.close().catch(() => {});
    await directory.fs.rm(temp, { force: true }).catch(() => {});
    throw error;
  }
  await directory.syncDirectory(dir);
  return path;
}

/** Space for one key, taken before the persisting call: a temp file of one block, written and synced, held open. */
export class KeyReservation {
  private handle: FileHandle | undefined;

  constructor(
    private readonly owner: PskStore,
    private readonly target: { accountId: string; tunnelId: string },
    private readonly dir: string,
    private readonly temp: string,
    /** Where the key will be. */
    readonly path: string,
    handle: FileHandle,
  ) {
    this.handle = handle;
  }

  /** Writes the key into the reserved space and gives it its final name. */
  private async fill(psk: Secret): Promise<string> {
    const handle = this.handle;
    if (!handle) throw new Error('the reservation was already used');
    this.handle = undefined;
    const data = Buffer.from(psk.reveal(), 'utf8');
    try {
      const { bytesWritten } = await handle.write(data, 0, data.length, 0);
      if (bytesWritten !== data.length) throw Object.assign(new Error('short write'), { code: 'EIO' });
      await handle.truncate(data.length);
      await handle.sync();
    } catch (error) {
      await handle.close().catch(() => {});
      await this.owner.directory.fs.rm(this.temp, { force: true }).catch(() => {});
      throw error;
    } finally {
      data.fill(0);
    }
    await handle.close().catch(() => {});
    try {
      await this.owner.directory.fs.rename(this.temp, this.path);
    } catch (error) {
      // The key is whole and on disk under its temporary name, if that name still exists: then it is there.
      const kept = await this.owner.directory.fs.lstat(this.temp).then(
        (stats) => stats.isFile(),
        () => false,
      );
      if (kept) return this.temp;
      throw error;
    }
    await this.owner.directory.syncDirectory(this.dir);
    return this.path;
  }

  /**
   * Stores a key Cloudflare already generated, trying every way before giving up, and says where it went: the
   * reserved file, then a new file beside it (after a pause), then the fallback directory. Never throws.
   */
  async store(psk: Secret): Promise<StoreResult> {
    const failures: string[] = [];
    try {
      return { stored: true, file: await this.fill(psk), fallback: false, failures };
    } catch (error) {
      failures.push(failure(this.path, error));
    }
    const { directory, fallback } = this.owner;
    const name = keyFileName(this.owner.now());
    for (const delay of RETRY_DELAYS_MS) {
      await sleep(delay);
      try {
        const dir = await directory.ensure(this.target.accountId, this.target.tunnelId);
        return {
          stored: true,
          file: await writeKeyFile(directory, dir, name, psk),
          fallback: false,
          failures,
        };
      } catch (error) {
        failures.push(failure(join(this.dir, name), error));
      }
    }
    if (fallback) {
      try {
        const dir = await fallback.ensure(this.target.accountId, this.target.tunnelId);
        return { stored: true, file: await writeKeyFile(fallback, dir, name, psk), fallback: true, failures };
      } catch (error) {
        failures.push(failure(join(fallback.path, this.target.accountId, this.target.tunnelId), error));
      }
    }
    return { stored: false, failures };
  }

  /** Gives the space back when no key is coming (nothing was sent, or nothing came back). */
  async release(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => {});
    await this.owner.directory.fs.rm(this.temp, { force: true }).catch(() => {});
  }
}

/**
 * Where keys go: `<dir>/<account_id>/<ipsec_tunnel_id>/<time>-<random>.psk`, each file 0600, directories 0700,
 * never overwritten. A key's space is reserved before the persisting call, so a full disk stops the rotation
 * before Cloudflare replaces the key; when storing still fails, the key goes to the fallback directory.
 */
export class PskStore {
  constructor(
    readonly directory: KeyDirectory,
    /** Where a key goes when the key directory cannot take it; checked the same way. */
    readonly fallback: KeyDirectory | undefined,
    readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Stores a key made here, before it is sent anywhere: its own new file (0600, synced, atomically named), in the
   * key directory only. Throws when it cannot: nothing has been sent yet, so failing is the safe answer.
   */
  async write(accountId: string, tunnelId: string, psk: Secret): Promise<string> {
    const dir = await this.directory.ensure(accountId, tunnelId);
    return writeKeyFile(this.directory, dir, keyFileName(this.now()), psk);
  }

  /**
   * A writer of many keys of one account (a fleet): the account's folder is made or checked once, each tunnel's
   * folder once per key (a fleet names each tunnel once); each key is written as `write` does.
   */
  async writerFor(
    accountId: string,
    options: { foldersChecked?: boolean } = {},
  ): Promise<(tunnelId: string, psk: Secret) => Promise<string>> {
    const accountDir = await this.directory.ensure(accountId);
    return async (tunnelId, psk) => {
      // foldersChecked: each tunnel's folder was made or checked when its lock was taken, and the lock is held;
      // checking it again costs a mkdir and a stat per tunnel on the way to the first request. The key file
      // itself is still created new, never through a link.
      const dir = options.foldersChecked
        ? join(accountDir, tunnelId)
        : await this.directory.ensureIn(accountDir, tunnelId);
      return writeKeyFile(this.directory, dir, keyFileName(this.now()), psk);
    };
  }

  /**
   * Writes a text that holds a key (a device's configuration) into the tunnel's key directory under `name`: 0600,
   * synced, atomically renamed, replacing an earlier file of that name. Same trust rules as the keys.
   */
  async writeBeside(accountId: string, tunnelId: string, name: string, text: Secret): Promise<string> {
    const dir = await this.directory.ensure(accountId, tunnelId);
    return writeKeyFile(this.directory, dir, name, text);
  }

  /**
   * Marks a stored key as never in force (Cloudflare did not apply it, or it was never sent), keeping it: the
   * `.psk` files of a tunnel are then exactly the keys that are, or may be, in force.
   */
  async markNotApplied(file: string): Promise<string> {
    const marked = `${file}.not-applied`;
    await this.directory.fs.rename(file, marked);
    await this.directory.syncDirectory(dirname(file));
    return marked;
  }

  /** Reads a stored key back (the panel's Reveal), never through a symlink; undefined when the file is gone. */
  async read(file: string): Promise<Secret | undefined> {
    const text = await this.directory.readFile(file);
    return text === undefined ? undefined : new Secret(text);
  }

  /** Reserves the space for the next key of a tunnel. Throws when the directory is untrusted, full or unwritable. */
  async reserve(accountId: string, tunnelId: string): Promise<KeyReservation> {
    const dir = await this.directory.ensure(accountId, tunnelId);
    const name = keyFileName(this.now());
    const temp = join(dir, `.${name}.tmp`);
    const handle = await this.directory.createFile(temp);
    try {
      await handle.write(Buffer.alloc(RESERVED_BYTES, 0x30), 0, RESERVED_BYTES, 0);
      await handle.sync();
    } catch (error) {
      await handle.close().catch(() => {});
      await this.directory.fs.rm(temp, { force: true }).catch(() => {});
      throw error;
    }
    return new KeyReservation(this, { accountId, tunnelId }, dir, temp, join(dir, name), handle);
  }
}
