import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

// `pnpm demo --app` as a person on a jump host runs it: fixed ports on request, both printed and answering, and
// Ctrl-C — SIGINT to the terminal's whole process group, pnpm and its shell included — ending with exit 0.

const root = fileURLToPath(new URL('../../..', import.meta.url));

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function twoFreePorts(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if ((await portFree(port)) && (await portFree(port + 1))) return port;
  }
  throw new Error('no two free ports in a row');
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

let child: ChildProcess | undefined;
let temp: string | undefined;
afterEach(async () => {
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    process.kill(-child.pid, 'SIGKILL');
  }
  if (temp) await rm(temp, { recursive: true, force: true });
});

describe('pnpm demo --app', () => {
  it('serves the page and the panel on the ports asked for, prints both, and stops on Ctrl-C with exit 0', async () => {
    temp = await mkdtemp(join(tmpdir(), 'ipsec-psk-demo-test-'));
    const port = await twoFreePorts();
    child = spawn('pnpm', ['demo', '--app', '--port', String(port)], {
      cwd: root,
      detached: true, // its own process group, as a terminal's foreground job is
      env: { ...process.env, TMPDIR: temp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const done = exited(child);
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    const deadline = Date.now() + 60_000;
    while (!out.includes('Ctrl+C stops the demo') && Date.now() < deadline && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(out).toContain(`http://127.0.0.1:${port}/`);
    expect(out).toContain(`http://localhost:${port + 1}/sandbox.html`);
    expect(out).toContain(`ssh -L ${port}:127.0.0.1:${port} -L ${port + 1}:localhost:${port + 1}`);

    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('id="fleet"');
    expect((await fetch(`http://localhost:${port + 1}/sandbox.html`)).status).toBe(200);

    if (child.pid === undefined) throw new Error('no child');
    process.kill(-child.pid, 'SIGINT');
    expect(await done).toEqual({ code: 0, signal: null });
    expect(out).toContain('Stopped.');
    expect(out).not.toMatch(/ELIFECYCLE|ERR_PNPM|Command failed/);
  }, 90_000);

  it('refuses a port it cannot use, naming the option and the rule', async () => {
    child = spawn('pnpm', ['demo', '--app', '--port', '70000'], { cwd: root, detached: true, stdio: 'pipe' });
    let err = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
    });
    const { code } = await exited(child);
    expect(code).toBe(2);
    expect(err).toContain('--port takes a port from 1 to 65534, with --app.');
  }, 30_000);
});
