import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret } from '@ipsec-psk/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fingerprint, PskStore, writePrivateFileAtomic } from './psk-store.js';

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

describe('PskStore under umask 000', () => {
  it('writes the key to a 0600 file in 0700 directories, with nothing left behind', async () => {
    const store = new PskStore(dir, () => new Date('2026-11-27T10:11:12.345Z'));
    const path = await store.save('acct', 'tunnel', new Secret('the-key-0123456789'));
    expect(path.startsWith(join(dir, 'acct', 'tunnel', '2026-11-27T10-11-12-345Z'))).toBe(true);
    expect(await readFile(path, 'utf8')).toBe('the-key-0123456789');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'acct', 'tunnel'))).mode & 0o777).toBe(0o700);
    expect(await readdir(join(dir, 'acct', 'tunnel'))).toHaveLength(1);
  });

  it('never overwrites an earlier key, even within the same millisecond', async () => {
    const store = new PskStore(dir, () => new Date('2026-11-27T10:11:12.345Z'));
    const a = await store.save('acct', 'tunnel', new Secret('first-key-000'));
    const b = await store.save('acct', 'tunnel', new Secret('second-key-111'));
    expect(a).not.toBe(b);
    expect(await readFile(a, 'utf8')).toBe('first-key-000');
  });

  it('checkWritable leaves no probe file and fails for a path that cannot be a directory', async () => {
    const store = new PskStore(dir);
    await store.checkWritable('acct', 'tunnel');
    expect(await readdir(join(dir, 'acct', 'tunnel'))).toEqual([]);
    const blocked = new PskStore(join(dir, 'acct', 'tunnel', 'x'));
    await writePrivateFileAtomic(join(dir, 'acct', 'tunnel', 'x'), 'file', join(dir, 'acct', 'tunnel'));
    await expect(blocked.checkWritable('a', 'b')).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});

describe('writePrivateFileAtomic', () => {
  it('replaces the target in one step and removes its temp file on failure', async () => {
    const target = join(dir, 'file');
    await writePrivateFileAtomic(target, 'one', dir);
    await writePrivateFileAtomic(target, 'two', dir);
    expect(await readFile(target, 'utf8')).toBe('two');
    await expect(
      writePrivateFileAtomic(join(dir, 'missing', 'file'), 'x', join(dir, 'missing')),
    ).rejects.toThrow();
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});

it('fingerprints are short, stable and do not contain the key', () => {
  const key = new Secret('O3bwKSjnaoCxDoUxjcq4Rk8ZKkezQUiy');
  expect(fingerprint(key)).toBe(fingerprint(new Secret('O3bwKSjnaoCxDoUxjcq4Rk8ZKkezQUiy')));
  expect(fingerprint(key)).toMatch(/^sha256:[0-9a-f]{16}$/);
  expect(fingerprint(key)).not.toBe(fingerprint(new Secret('another-key')));
});
