import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod } from 'node:fs/promises';
import { Captured, exitOf } from '@ipsec-psk/rotation/testing';
import { describe, expect, it } from 'vitest';
import { CLI } from './test-support/binary.js';
import { useTempDirs } from './test-support/temp-dirs.js';
import { SERVER_VERSION } from './version.js';

const TIMEOUT = { timeout: 30_000 };
const tempDir = useTempDirs('ipsec-psk-stdio-');

/** Runs the binary to completion with exactly `env` (plus PATH); stdin is empty so a server that starts exits. */
async function run(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout = new Captured(child.stdout);
  const stderr = new Captured(child.stderr);
  const code = await exitOf(child);
  return {
    code,
    stdout: stdout.text,
    stderr: stderr.text,
    stderrLines: stderr.text.split('\n').filter(Boolean),
  };
}

describe('start-up', TIMEOUT, () => {
  it('stops with one line naming CLOUDFLARE_API_TOKEN when no credentials are set', async () => {
    const home = await tempDir();
    const { code, stdout, stderrLines } = await run([], { HOME: home, IPSEC_PSK_DIR: home });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderrLines).toHaveLength(1);
    expect(stderrLines[0]).toMatch(/CLOUDFLARE_API_TOKEN/);
  });

  it.each([
    ['IPSEC_PSK_CONFIRM', { IPSEC_PSK_CONFIRM: 'bogus' }],
    ['IPSEC_PSK_SANDBOX_DIR', { IPSEC_PSK_SANDBOX_DIR: 'relative/keys' }],
    ['IPSEC_PSK_REVEAL', { IPSEC_PSK_REVEAL: 'yes' }],
  ])('stops with one line naming %s when it is malformed', async (name, env) => {
    const home = await tempDir();
    const { code, stdout, stderrLines } = await run(['--sandbox'], {
      HOME: home,
      IPSEC_PSK_SANDBOX_DIR: home,
      ...env,
    });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderrLines).toHaveLength(1);
    expect(stderrLines[0]).toContain(name);
  });

  it('#7.12 stops with one line naming the key directory when other users can write to it', async () => {
    const home = await tempDir();
    await chmod(home, 0o777);
    const { code, stdout, stderrLines } = await run(['--sandbox'], {
      HOME: home,
      IPSEC_PSK_SANDBOX_DIR: home,
    });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderrLines).toHaveLength(1);
    expect(stderrLines[0]).toMatch(
      /IPSEC_PSK_SANDBOX_DIR cannot be used: .* is writable by other users \(mode 0777\)/,
    );
  });

  it('names a malformed CLOUDFLARE_API_TOKEN without printing it', async () => {
    const home = await tempDir();
    const token = `SENTINEL-malformed-${Date.now()}`;
    const { code, stderr, stderrLines } = await run([], {
      HOME: home,
      IPSEC_PSK_DIR: home,
      CLOUDFLARE_API_TOKEN: ` ${token}`,
    });
    expect(code).toBe(1);
    expect(stderrLines).toHaveLength(1);
    expect(stderrLines[0]).toMatch(/CLOUDFLARE_API_TOKEN/);
    expect(stderr).not.toContain(token);
  });

  it('exits 2 on an unknown flag', async () => {
    const { code, stdout, stderrLines } = await run(['--bogus'], {});
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderrLines).toHaveLength(1);
    expect(stderrLines[0]).toMatch(/--bogus/);
  });

  it('--new-token prints a token and the line to add, holding its hash only; a bad name is refused', async () => {
    const made = await run(['--new-token', 'alice'], {});
    expect(made.code).toBe(0);
    const [token, line] = made.stdout.trim().split('\n');
    expect(token).toMatch(/^ipsk_[A-Za-z0-9_-]{43}$/);
    expect(line).toBe(
      `alice sha256:${createHash('sha256')
        .update(token ?? '')
        .digest('hex')}`,
    );
    expect(made.stderr).not.toContain(token);

    const refused = await run(['--new-token', 'bad name'], {});
    expect(refused.code).toBe(2);
    expect(refused.stderrLines).toEqual([
      expect.stringMatching(/--new-token NAME: a name is 1-64 characters/),
    ]);
  });

  it('prints --help and --version to stdout and exits 0', async () => {
    const help = await run(['--help'], {});
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^ipsec-psk-mcp /);
    expect(help.stdout).toMatch(/--sandbox/);
    expect(help.stdout).toMatch(/IPSEC_PSK_DIR/);

    const version = await run(['--version'], {});
    expect(version).toMatchObject({ code: 0, stdout: `${SERVER_VERSION}\n`, stderr: '' });
  });
});
