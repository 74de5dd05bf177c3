import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Captured, exitOf } from '@ipsec-psk/rotation/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashToken } from './http/bearer-tokens.js';
import { CLI } from './test-support/binary.js';

// Issue 19, items 1 and 5, on the built binary: a token file anyone can write to is not trusted (it decides who may
// rotate keys), and a bracketed IPv6 literal binds like the bare one.

const BEARER = 'ipsk_SENTINELtrustBearer0000000000000000000000';
let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'ipsec-psk-http-trust-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

function serve(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [CLI, '--http', '--sandbox', '--port', '0', ...args], {
    env: { PATH: process.env.PATH, IPSEC_PSK_SANDBOX_DIR: join(work, 'keys'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { child, stderr: new Captured(child.stderr) };
}

async function startFails(args: string[], env: Record<string, string>): Promise<string> {
  const { child, stderr } = serve(args, env);
  expect(await exitOf(child)).not.toBe(0);
  return stderr.text;
}

describe('#19.1 the token file is trusted only as the key directory is', { timeout: 20_000 }, () => {
  async function tokenFile(mode: number, dirMode = 0o700): Promise<string> {
    const dir = join(work, 'conf');
    await mkdir(dir, { mode: dirMode });
    await chmod(dir, dirMode);
    const file = join(dir, 'tokens');
    await writeFile(file, `alice ${hashToken(BEARER)}\n`, { mode });
    await chmod(file, mode);
    return file;
  }

  it('a world-writable file stops start-up, naming the file and the fix', async () => {
    const file = await tokenFile(0o666);
    const text = await startFails([], { IPSEC_PSK_HTTP_TOKENS_FILE: file });
    expect(text).toContain(`IPSEC_PSK_HTTP_TOKENS_FILE: ${file} is writable by other users (mode 0666)`);
    expect(text).toContain(`chmod go-w '${file}'`);
    expect(text).not.toMatch(/listening on/);
  });

  it('a file in a directory others can write to, or a symlink, is refused too', async () => {
    const inOpenDir = await tokenFile(0o600, 0o777);
    expect(await startFails([], { IPSEC_PSK_HTTP_TOKENS_FILE: inOpenDir })).toMatch(
      /the token file's directory\) is writable by other users/,
    );
    const link = join(work, 'link');
    await symlink(inOpenDir, link);
    expect(await startFails([], { IPSEC_PSK_HTTP_TOKENS_FILE: link })).toMatch(/is a symbolic link/);
  });

  it('a private file is read, and the server listens', async () => {
    const file = await tokenFile(0o600);
    const { child, stderr } = serve([], { IPSEC_PSK_HTTP_TOKENS_FILE: file });
    await stderr.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+\/mcp/);
    child.kill('SIGTERM');
    expect(await exitOf(child)).toBe(0);
  });
});

describe('#19.5 a bracketed IPv6 literal', { timeout: 20_000 }, () => {
  it('--host [::1] listens on ::1 as --host ::1 does', async () => {
    for (const host of ['[::1]', '::1']) {
      const { child, stderr } = serve(['--host', host], {});
      const [, url] = await stderr.waitFor(/listening on (http:\/\/\S+)/);
      expect(url).toMatch(/^http:\/\/\[::1\]:\d+\/mcp$/);
      const health = await fetch(new URL('/healthz', url));
      expect(health.status).toBe(200);
      child.kill('SIGTERM');
      expect(await exitOf(child)).toBe(0);
    }
  });
});
