import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Secret } from '@ipsec-psk/core';

/** A short, non-reversible identifier of a key, to tell keys apart without showing them. */
export function fingerprint(psk: Secret): string {
  return `sha256:${createHash('sha256').update(psk.reveal()).digest('hex').slice(0, 16)}`;
}

async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
}

async function syncDir(path: string): Promise<void> {
  // Makes the rename itself durable; some platforms cannot open a directory, which only weakens durability.
  const handle = await open(path, 'r').catch(() => undefined);
  try {
    await handle?.sync();
  } catch {
    // fsync on a directory is not supported everywhere.
  } finally {
    await handle?.close();
  }
}

/** Writes `data` to `path` atomically: temp file beside it, mode 0600 whatever the umask, fsync, rename. */
export async function writePrivateFileAtomic(path: string, data: string, directory: string): Promise<void> {
  const temp = join(directory, `.${randomBytes(8).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.chmod(0o600);
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDir(directory);
}

/** Where keys go: `<dir>/<account_id>/<ipsec_tunnel_id>/<time>.psk`, each file 0600, directories 0700. */
export class PskStore {
  constructor(
    readonly directory: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private tunnelDir(accountId: string, tunnelId: string): string {
    return join(this.directory, accountId, tunnelId);
  }

  /** Proves a key could be written, before asking Cloudflare for one. */
  async checkWritable(accountId: string, tunnelId: string): Promise<void> {
    const dir = this.tunnelDir(accountId, tunnelId);
    await ensurePrivateDir(dir);
    const probe = join(dir, `.probe-${randomBytes(8).toString('hex')}`);
    const handle = await open(probe, 'wx', 0o600);
    await handle.close();
    await rm(probe, { force: true });
  }

  /** Stores a new key and returns its path. Never overwrites an earlier key. */
  async save(accountId: string, tunnelId: string, psk: Secret): Promise<string> {
    const dir = this.tunnelDir(accountId, tunnelId);
    await ensurePrivateDir(dir);
    const stamp = this.now().toISOString().replace(/[:.]/g, '-');
    const path = join(dir, `${stamp}-${randomBytes(3).toString('hex')}.psk`);
    await writePrivateFileAtomic(path, psk.reveal(), dir);
    await chmod(path, 0o600);
    return path;
  }
}
