import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeFsError, KeyDirectory } from './key-directory.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipsec-psk-keydir-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('#7.12 KeyDirectory', () => {
  it('creates missing directories 0700, root included', async () => {
    const keys = new KeyDirectory(join(dir, 'a', 'keys'));
    const path = await keys.ensure('acct', 'tunnel');
    expect(path).toBe(join(dir, 'a', 'keys', 'acct', 'tunnel'));
    for (const part of ['a/keys', 'a/keys/acct', 'a/keys/acct/tunnel']) {
      expect((await stat(join(dir, part))).mode & 0o777).toBe(0o700);
    }
  });

  it('accepts a root reached through a symlink the operator made, and checks what it points to', async () => {
    await mkdir(join(dir, 'real'), { mode: 0o700 });
    await symlink(join(dir, 'real'), join(dir, 'link'));
    expect(await new KeyDirectory(join(dir, 'link')).ensure('acct')).toBe(join(dir, 'real', 'acct'));
    await chmod(join(dir, 'real'), 0o770);
    await expect(new KeyDirectory(join(dir, 'link')).ensureRoot()).rejects.toThrow(
      /writable by other users \(mode 0770\)/,
    );
  });

  it.each([
    ['group-writable', 0o770],
    ['world-writable', 0o757],
  ])('refuses a %s directory below the root', async (_name, mode) => {
    const keys = new KeyDirectory(dir);
    await mkdir(join(dir, 'acct'));
    await chmod(join(dir, 'acct'), mode);
    await expect(keys.ensure('acct', 'tunnel')).rejects.toMatchObject({
      name: 'UntrustedPathError',
      path: join(dir, 'acct'),
    });
  });

  it('refuses a symlink or a file where a directory should be', async () => {
    const keys = new KeyDirectory(dir);
    await symlink(tmpdir(), join(dir, 'acct'));
    await expect(keys.ensure('acct')).rejects.toThrow(/is a symbolic link/);
    await writeFile(join(dir, 'file'), '');
    await expect(keys.ensure('file')).rejects.toThrow(/is not a directory/);
  });

  it('a failed check is not remembered: fixing the directory makes it usable again', async () => {
    const keys = new KeyDirectory(dir);
    await chmod(dir, 0o777);
    await expect(keys.ensureRoot()).rejects.toThrow(/chmod go-w/);
    await chmod(dir, 0o700);
    await expect(keys.ensureRoot()).resolves.toBe(dir);
  });

  it('never creates, appends to or reads a file through a symlink', async () => {
    const keys = new KeyDirectory(dir);
    const victim = join(dir, 'victim');
    await writeFile(victim, 'mine');
    await symlink(victim, join(dir, 'link'));
    await expect(keys.createFile(join(dir, 'link'))).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(keys.appendFile(join(dir, 'link'))).rejects.toMatchObject({ code: 'ELOOP' });
    await expect(keys.readFile(join(dir, 'link'))).rejects.toMatchObject({ code: 'ELOOP' });
    expect(await readFile(victim, 'utf8')).toBe('mine');
  });

  it('creates files 0600 whatever the umask', async () => {
    const previous = process.umask(0);
    try {
      const handle = await new KeyDirectory(dir).createFile(join(dir, 'new'));
      await handle.close();
      const appended = await new KeyDirectory(dir).appendFile(join(dir, 'log'));
      await appended.close();
    } finally {
      process.umask(previous);
    }
    expect((await stat(join(dir, 'new'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'log'))).mode & 0o777).toBe(0o600);
  });
});

describe('#21.2 a key directory that cannot be used says so in plain words', () => {
  async function failure(keys: KeyDirectory, ...parts: string[]): Promise<string> {
    return keys.ensure(...parts).then(
      () => 'no error',
      (error: unknown) => describeFsError(error),
    );
  }

  it('names the path, what is wrong, and the fix', async () => {
    await writeFile(join(dir, 'file'), '');
    expect(await failure(new KeyDirectory(join(dir, 'file')))).toBe(
      `${join(dir, 'file')} is in the way: a file where a directory must be (EEXIST)`,
    );
    const open = join(dir, 'open');
    await mkdir(open);
    await chmod(open, 0o777);
    expect(await failure(new KeyDirectory(open))).toBe(
      `${open} is writable by other users (mode 0777); run: chmod go-w '${open}'`,
    );
    await mkdir(join(dir, 'keys'), { mode: 0o700 });
    await writeFile(join(dir, 'keys', 'acct'), '');
    expect(await failure(new KeyDirectory(join(dir, 'keys')), 'acct', 'tunnel')).toBe(
      `${join(dir, 'keys', 'acct')} is not a directory`,
    );
  });
});
