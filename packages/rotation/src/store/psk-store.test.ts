import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret } from '@ipsec-psk/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { failingFiles } from '../testing/failing-files.js';
import { KeyDirectory } from './key-directory.js';
import { fingerprint, PskStore } from './psk-store.js';

let dir: string;
let previousUmask: number;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipsec-psk-store-'));
  previousUmask = process.umask(0o000);
});
afterEach(async () => {
  process.umask(previousUmask);
  await rm(dir, { recursive: true, force: true });
});

const at = () => new Date('2026-11-27T10:11:12.345Z');
const KEY = new Secret('the-key-0123456789');

describe('PskStore under umask 000', () => {
  it('writes the key into its reserved 0600 file in 0700 directories, with nothing left behind', async () => {
    const store = new PskStore(new KeyDirectory(join(dir, 'keys')), undefined, at);
    const reservation = await store.reserve('acct', 'tunnel');
    const result = await reservation.store(KEY);
    expect(result).toMatchObject({ stored: true, fallback: false, failures: [] });
    const path = (result as { file: string }).file;
    expect(path).toBe(reservation.path);
    expect(path.startsWith(join(dir, 'keys', 'acct', 'tunnel', '2026-11-27T10-11-12-345Z'))).toBe(true);
    expect(await readFile(path, 'utf8')).toBe('the-key-0123456789');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    for (const part of ['keys', 'keys/acct', 'keys/acct/tunnel']) {
      expect((await stat(join(dir, part))).mode & 0o777).toBe(0o700);
    }
    expect(await readdir(join(dir, 'keys', 'acct', 'tunnel'))).toHaveLength(1);
  });

  it('a reservation takes a block of real space before any key exists, and gives it back on release', async () => {
    const store = new PskStore(new KeyDirectory(dir), undefined, at);
    const reservation = await store.reserve('acct', 'tunnel');
    const [temp] = await readdir(join(dir, 'acct', 'tunnel'));
    expect(temp).toMatch(/^\..*\.psk\.tmp$/);
    expect((await stat(join(dir, 'acct', 'tunnel', temp as string))).size).toBe(4096);
    await reservation.release();
    expect(await readdir(join(dir, 'acct', 'tunnel'))).toEqual([]);
  });

  it('never overwrites an earlier key, even within the same millisecond', async () => {
    const store = new PskStore(new KeyDirectory(dir), undefined, at);
    const a = await (await store.reserve('acct', 'tunnel')).store(new Secret('first-key-000'));
    const b = await (await store.reserve('acct', 'tunnel')).store(new Secret('second-key-111'));
    expect(a).not.toEqual(b);
    expect(await readFile((a as { file: string }).file, 'utf8')).toBe('first-key-000');
  });
});

describe('#7.5 a store that fails after Cloudflare generated the key', () => {
  it('retries with a new file once the disk error passes', async () => {
    const files = failingFiles({ failWrites: 'EIO', times: 1 });
    const store = new PskStore(new KeyDirectory(dir, files), undefined, at);
    const reservation = await store.reserve('acct', 'tunnel');
    files.arm();
    const result = await reservation.store(KEY);
    expect(result).toMatchObject({ stored: true, fallback: false });
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]).toMatch(/EIO$/);
    expect(await readFile((result as { file: string }).file, 'utf8')).toBe(KEY.reveal());
  });

  it('goes to the fallback directory when the key directory keeps failing, and says so', async () => {
    const files = failingFiles({ failWrites: 'EROFS', under: join(dir, 'keys') });
    const store = new PskStore(
      new KeyDirectory(join(dir, 'keys'), files),
      new KeyDirectory(join(dir, 'fallback')),
      at,
    );
    const reservation = await store.reserve('acct', 'tunnel');
    files.arm();
    const result = await reservation.store(KEY);
    expect(result).toMatchObject({ stored: true, fallback: true });
    const file = (result as { file: string }).file;
    expect(file.startsWith(join(dir, 'fallback', 'acct', 'tunnel'))).toBe(true);
    expect(await readFile(file, 'utf8')).toBe(KEY.reveal());
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(result.failures).toHaveLength(3);
    expect(await readdir(join(dir, 'keys', 'acct', 'tunnel'))).toEqual([]);
  });

  it('says it stored nothing, and where it tried, when everything fails', async () => {
    const files = failingFiles({ failWrites: 'ENOSPC' });
    const store = new PskStore(
      new KeyDirectory(join(dir, 'keys'), files),
      new KeyDirectory(join(dir, 'fb'), files),
      at,
    );
    const reservation = await store.reserve('acct', 'tunnel');
    files.arm();
    const result = await reservation.store(KEY);
    expect(result.stored).toBe(false);
    expect(result.failures).toHaveLength(4);
    expect(result.failures.join(' ')).not.toContain(KEY.reveal());
  });
});

describe('#7.5 a key directory removed while the call was in flight', () => {
  it('stores the key again in a recreated directory, never naming a file that no longer exists', async () => {
    const real = await import('node:fs/promises');
    let removed = false;
    const files = {
      ...real,
      // The operator removes the tunnel's directory (and the reserved file in it) just before the rename.
      rename: async (from: import('node:fs').PathLike, to: import('node:fs').PathLike) => {
        if (!removed) {
          removed = true;
          await rm(join(dir, 'acct'), { recursive: true, force: true });
        }
        return real.rename(from, to);
      },
    };
    const store = new PskStore(new KeyDirectory(dir, files), undefined, at);
    const reservation = await store.reserve('acct', 'tunnel');
    const result = await reservation.store(KEY);
    expect(result).toMatchObject({ stored: true, fallback: false });
    expect(result.failures[0]).toMatch(/ENOENT$/);
    expect(await readFile((result as { file: string }).file, 'utf8')).toBe(KEY.reveal());
  });
});

it('fingerprints are short, stable and do not contain the key', () => {
  const key = new Secret('O3bwKSjnaoCxDoUxjcq4Rk8ZKkezQUiy');
  expect(fingerprint(key)).toBe(fingerprint(new Secret('O3bwKSjnaoCxDoUxjcq4Rk8ZKkezQUiy')));
  expect(fingerprint(key)).toMatch(/^sha256:[0-9a-f]{16}$/);
  expect(fingerprint(key)).not.toBe(fingerprint(new Secret('another-key')));
});
