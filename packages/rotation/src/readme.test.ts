import { execFile } from 'node:child_process';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2 } from '@ipsec-psk/cloudflare-sim';
import { afterEach, expect, it } from 'vitest';

// The README's example, exactly as written, in a Node process of its own: what a reader copies must run, and leave
// what the README says it leaves.

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const made: string[] = [];
afterEach(async () => {
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function readmeExample(): Promise<string> {
  const readme = await readFile(join(packageDir, 'README.md'), 'utf8');
  const block = /```js\n([\s\S]*?)\n```/.exec(readme)?.[1];
  if (!block) throw new Error('README.md has no js example');
  return block;
}

it('the README example rotates one tunnel and a fleet, leaving 0600 key files and audit lines', async () => {
  // Imports in evaluated code resolve from the working directory: the package, as for a reader's own program.
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '--eval', await readmeExample()],
    { cwd: packageDir, timeout: 30_000 },
  );
  const [first, second] = stdout.trim().split('\n');
  const [status, file] = first?.split(' ') ?? [];
  expect(status).toBe('generated');
  expect(second).toBe('completed 2');
  const pskDir = dirname(dirname(dirname(file ?? '')));
  made.push(pskDir);
  expect(dirname(file ?? '')).toBe(join(pskDir, DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID));

  const keys: string[] = [];
  for (const tunnel of [DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2]) {
    const dir = join(pskDir, DEMO_ACCOUNT_ID, tunnel);
    for (const name of await readdir(dir)) if (name.endsWith('.psk')) keys.push(join(dir, name));
  }
  expect(keys).toContain(file);
  expect(keys).toHaveLength(3);
  for (const key of keys) {
    expect((await stat(key)).mode & 0o777).toBe(0o600);
    const psk = await readFile(key, 'utf8');
    expect(psk).toMatch(/^[A-Za-z0-9]{32}$/);
    // The question went to stderr, the results to stdout: neither holds a key.
    expect(stdout + stderr).not.toContain(psk);
  }
  expect(stderr).toContain(`Rotate the pre-shared key of IPsec tunnel ${DEMO_TUNNEL_ID}`);

  const audit = (await readFile(join(pskDir, 'audit.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(audit.filter((line) => line.event === 'generated')).toMatchObject([
    { ipsec_tunnel_id: DEMO_TUNNEL_ID, psk_file: file },
  ]);
  expect(audit.filter((line) => line.event === 'psk_set').map((line) => line.ipsec_tunnel_id)).toEqual([
    DEMO_TUNNEL_ID,
    DEMO_TUNNEL_ID_2,
  ]);
  expect(audit.filter((line) => line.event === 'rotation_attempt').map((line) => line.confirmed_by)).toEqual([
    'callback',
    'callback',
    'callback',
  ]);
});
