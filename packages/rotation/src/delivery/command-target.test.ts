import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret } from '@ipsec-psk/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRunning } from '../testing/processes.js';
import { deliverByCommand, TUNNEL_FACTS_VARIABLE } from './command-target.js';
import type { CommandTarget } from './config-types.js';
import type { DeliveryJob } from './job.js';

// The command target as a program of the operator's sees it: the key on stdin and nowhere else (checked in
// /proc of the running child), a clean environment, the tunnel's facts, a process group that ends with it.

const KEY = 'SENTINELcommandKey7x9q2w4e6r8t0y';
const TOKEN = 'SENTINELcloudflareToken5k6l7m8n';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipsec-psk-command-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const job: DeliveryJob = {
  accountId: '023e105f4ecef8ad9ca31a8372d0c353',
  tunnelId: 'c4a7362d577a6c3019a474fd6f485823',
  tunnelName: 'fra-\u001b[31medge\n01',
  key: new Secret(KEY),
  fingerprint: 'sha256:0123456789abcdef',
  keyFile: '/keys/x.psk',
  details: { cloudflareEndpoint: '162.159.64.1', interfaceAddress: '10.200.0.0/31' },
  ipsecId: '023e105f4ecef8ad9ca31a8372d0c353_c4a7362d577a6c3019a474fd6f485823',
  operation: 'set_psks',
};

const env = {
  PATH: process.env.PATH,
  HOME: '/root',
  CLOUDFLARE_API_TOKEN: TOKEN,
  cloudflare_api_key: TOKEN,
  IPSEC_PSK_DIR: '/keys',
  IPSEC_PSK_REVEAL: '1',
};

async function script(name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`, { mode: 0o700 });
  return path;
}

function target(argv: string[], timeoutMs = 10_000): CommandTarget {
  return { kind: 'command', label: 'command:push', argv, timeoutMs };
}

async function waitForFile(path: string, timeoutMs = 5_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text) return text;
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the command target', () => {
  it('gives the key on stdin only: never in the running child’s cmdline or environ', async () => {
    const program = await script(
      'push.sh',
      [
        'IFS= read -r key',
        'printf %s "$key" > "$1/received"',
        `printf %s "$${TUNNEL_FACTS_VARIABLE}" > "$1/facts"`,
        'env > "$1/env"',
        // Ready to be looked at: the pid file comes last, and the child keeps running for a while.
        'echo $$ > "$1/pid"',
        'sleep 1',
        'echo "pushed $key to the router" >&2',
      ].join('\n'),
    );
    const running = deliverByCommand(target([program, dir]), job, new AbortController().signal, env);
    const pid = Number((await waitForFile(join(dir, 'pid'))).trim());
    const cmdline = await readFile(`/proc/${pid}/cmdline`);
    const environ = await readFile(`/proc/${pid}/environ`);
    const outcome = await running;

    for (const form of [KEY, Buffer.from(KEY).toString('hex'), Buffer.from(KEY).toString('base64')]) {
      expect(cmdline.toString('latin1')).not.toContain(form);
      expect(environ.toString('latin1')).not.toContain(form);
    }
    expect(cmdline.toString().split('\0')).toEqual(['/bin/sh', program, dir, '']);
    expect(await readFile(join(dir, 'received'), 'utf8')).toBe(KEY);

    const childEnv = await readFile(join(dir, 'env'), 'utf8');
    expect(childEnv).not.toContain(TOKEN);
    expect(childEnv).not.toMatch(/^(CLOUDFLARE_|IPSEC_PSK_DIR|IPSEC_PSK_REVEAL)/im);
    expect(childEnv).toMatch(/^HOME=\/root$/m);

    expect(JSON.parse(await readFile(join(dir, 'facts'), 'utf8'))).toEqual({
      account_id: job.accountId,
      ipsec_tunnel_id: job.tunnelId,
      tunnel_name: 'fra-edge 01',
      psk_fingerprint: job.fingerprint,
      operation: 'set_psks',
      restore: false,
      cloudflare_endpoint: '162.159.64.1',
      interface_address: '10.200.0.0/31',
      device_interface_address: '10.200.0.1/31',
      ipsec_id: job.ipsecId,
      local_id: `keyid:${job.ipsecId}`,
      remote_id: '162.159.64.1',
    });

    expect(outcome).toEqual({
      result: 'delivered',
      detail: 'command:push exited with status 0; its stderr ended with: "pushed [redacted] to the router".',
    });
  });

  it('reports a failing exit status with the last lines of stderr, neutralised and capped', async () => {
    const lines = Array.from({ length: 9 }, (_, i) => `echo "line ${i}" >&2`).join('\n');
    const program = await script('fail.sh', `${lines}\nprintf 'bad \\033[31mred\\033[0m\\r\\n' >&2\nexit 3`);
    const outcome = await deliverByCommand(target([program]), job, new AbortController().signal, env);
    expect(outcome).toEqual({
      result: 'failed',
      code: 'exit_status',
      detail:
        'command:push exited with status 3; its stderr ended with: "line 5 | line 6 | line 7 | line 8 | bad red".',
    });
  });

  it('kills the whole process group at the timeout: nothing it started survives', async () => {
    const program = await script('hang.sh', 'sleep 30 &\necho $! > "$1/grandchild"\nwait');
    const started = Date.now();
    const outcome = await deliverByCommand(
      target([program, dir], 300),
      job,
      new AbortController().signal,
      env,
    );
    const elapsed = Date.now() - started;
    expect(outcome).toMatchObject({ result: 'failed', code: 'timeout' });
    expect(outcome.detail).toMatch(/did not finish within 300 ms and was killed/);
    expect(elapsed).toBeLessThan(3_000);
    const grandchild = Number((await readFile(join(dir, 'grandchild'), 'utf8')).trim());
    expect(isRunning(grandchild)).toBe(false);
  });

  it('stops at once when the delivery is aborted, and reports a program that cannot start', async () => {
    const program = await script('slow.sh', 'sleep 30');
    const abort = new AbortController();
    const running = deliverByCommand(target([program]), job, abort.signal, env);
    setTimeout(() => abort.abort(), 50);
    expect(await running).toMatchObject({ result: 'failed', code: 'timeout' });

    const missing = await deliverByCommand(
      target([join(dir, 'nope')]),
      job,
      new AbortController().signal,
      env,
    );
    expect(missing).toEqual({
      result: 'failed',
      code: 'spawn',
      detail: `${join(dir, 'nope')} could not be started (ENOENT).`,
    });
  });

  it('does not mind a program that never reads its stdin', async () => {
    const program = await script('deaf.sh', 'exit 0');
    expect(await deliverByCommand(target([program]), job, new AbortController().signal, env)).toMatchObject({
      result: 'delivered',
    });
  });
});
