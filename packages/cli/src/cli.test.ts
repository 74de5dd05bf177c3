import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_ACCOUNT_ID, manyTunnels, type Simulator, startSimulator } from '@ipsec-psk/cloudflare-sim';
import { unfinishedConsequence, unfinishedRotations } from '@ipsec-psk/rotation';
import { Captured, exitOf } from '@ipsec-psk/rotation/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// The ipsec-psk command line, as a scheduled job or a person runs it: the built binary in a child process, against
// the simulator over loopback HTTP, with its keys in a temporary IPSEC_PSK_DIR.

const BIN = fileURLToPath(new URL('../dist/ipsec-psk.js', import.meta.url));
const TOKEN = 'SENTINELterminalToken3k4l5m';
const OLD = '2026-01-01T00:00:00Z';
const FLEET = manyTunnels(12, { namePrefix: 'ams-', lastGeneratedOn: (i) => (i < 6 ? OLD : undefined) });
const ID = (index: number) => FLEET.tunnels[index]?.id ?? '';

let sim: Simulator;
let pskDir: string;
beforeEach(async () => {
  sim = await startSimulator({ apiTokens: [TOKEN], accounts: [FLEET] });
  pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-terminal-'));
});
afterEach(async () => {
  expect(sim.specViolations).toEqual([]);
  await sim.close();
  await rm(pskDir, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CLOUDFLARE_API_TOKEN: TOKEN,
    CLOUDFLARE_ACCOUNT_ID: DEMO_ACCOUNT_ID,
    CLOUDFLARE_BASE_URL: sim.url,
    IPSEC_PSK_DIR: pskDir,
    ...extra,
  };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the binary with stdin a pipe (not a terminal), as cron or CI does. */
async function run(
  args: string[],
  options: { env?: Record<string, string>; input?: string } = {},
): Promise<Run> {
  const child = spawn(process.execPath, [BIN, ...args], { env: env(options.env), stdio: 'pipe' });
  const stdout = new Captured(child.stdout);
  const stderr = new Captured(child.stderr);
  child.stdin.end(options.input ?? '');
  const code = await exitOf(child);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Runs the binary on a pseudo-terminal (util-linux `script`), answering the question with `answer`. */
async function runOnTerminal(args: string[], answer: string): Promise<Run> {
  const command = [process.execPath, BIN, ...args].map((part) => `'${part}'`).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: env(), stdio: 'pipe' });
  const output = new Captured(child.stdout);
  await output.waitFor(/\[y\/N\] /);
  child.stdin.write(`${answer}\r`);
  const code = await exitOf(child);
  return { code, stdout: output.text, stderr: '' };
}

const sets = () => sim.count({ operation: 'set_psks', validateOnly: false });

async function keyFiles(id: string): Promise<string[]> {
  const dir = join(pskDir, DEMO_ACCOUNT_ID, id);
  return (await readdir(dir).catch(() => []))
    .filter((name) => name.endsWith('.psk'))
    .map((name) => join(dir, name));
}

async function audit(): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(pskDir, 'audit.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

function expectNoSecrets(result: Run): void {
  const text = result.stdout + result.stderr;
  expect(text).not.toContain(TOKEN);
  for (const tunnel of FLEET.tunnels) {
    const key = sim.tunnel(DEMO_ACCOUNT_ID, tunnel.id)?.psk;
    if (key) expect(text).not.toContain(key);
  }
}

describe('ipsec-psk list', () => {
  it('prints every tunnel with its key age; --json holds the same', async () => {
    const table = await run(['list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/12 of 12 tunnels/);
    expect(table.stdout).toMatch(new RegExp(`${ID(0)}\\s+\\d+ d\\s+2026-01-01T00:00:00Z\\s+ams-01`));
    const json = await run(['list', '--json', '--older-than', '30', '--name', 'AMS-1']);
    expect(json.code).toBe(0);
    const listing = JSON.parse(json.stdout);
    // Names ams-10..ams-12 have never-generated keys: an unknown age is included by --older-than.
    expect(listing.tunnels.map((t: { tunnel_name: string }) => t.tunnel_name)).toEqual([
      'ams-10',
      'ams-11',
      'ams-12',
    ]);
    expect(listing.tunnels[0]).toMatchObject({ key_age_known: false });
    expectNoSecrets(json);
  });
});

describe('ipsec-psk rotate', () => {
  it('--yes by name and id: keys stored before sending, applied, recorded as confirmed by the flag', async () => {
    const result = await run(['rotate', 'ams-01', ID(1), '--yes']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/Rotate the pre-shared keys of 2 IPsec tunnels/);
    expect(result.stderr).toMatch(/yes \(--yes\)/);
    expect(result.stdout).toMatch(/Rotated 2 of 2 tunnels/);
    expect(sets()).toBe(1);
    for (const index of [0, 1]) {
      const [file] = await keyFiles(ID(index));
      expect(await readFile(file ?? '', 'utf8')).toBe(sim.tunnel(DEMO_ACCOUNT_ID, ID(index))?.psk);
    }
    const attempts = (await audit()).filter((line) => line.event === 'rotation_attempt');
    expect(attempts.map((line) => line.confirmed_by)).toEqual(['flag', 'flag']);
    expectNoSecrets(result);
  });

  it('--older-than chooses the tunnels; --json gives the structured result', async () => {
    const result = await run(['rotate', '--older-than', '30', '--name', 'ams-0', '--yes', '--json']);
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expect(output).toMatchObject({ status: 'completed', applied: 9 });
    expect(output.tunnels).toHaveLength(9);
    expectNoSecrets(result);
  });

  it('without a terminal and without --yes: refused before any request', async () => {
    const result = await run(['rotate', ID(0)]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/stdin is not a terminal.*--yes/);
    expect(sim.requests).toHaveLength(0);
  });

  it('on a terminal, "y" confirms and is recorded as the terminal', async () => {
    const result = await runOnTerminal(['rotate', ID(2)], 'y');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Rotate this key now\? \[y\/N\]/);
    expect(sets()).toBe(1);
    expect((await audit()).find((line) => line.event === 'rotation_attempt')).toMatchObject({
      confirmed_by: 'terminal',
    });
  });

  it('on a terminal, anything but "y" declines: nothing sent, no key made, exit 1', async () => {
    const result = await runOnTerminal(['rotate', ID(2), ID(3)], 'n');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/declined the rotation of 2 tunnels\. Nothing was sent/);
    expect(sets()).toBe(0);
    expect(await keyFiles(ID(2))).toEqual([]);
  });

  it('--validate-only asks nothing and changes nothing', async () => {
    const result = await run(['rotate', ID(0), ID(1), '--validate-only']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Validated/);
    expect(sim.count({ operation: 'set_psks', validateOnly: true })).toBe(1);
    expect(sets()).toBe(0);
  });

  it('exit 3 when Cloudflare refuses some keys; those keep their old keys', async () => {
    sim.inject({ type: 'unapply', tunnels: [ID(4)], match: { operation: 'set_psks', validateOnly: false } });
    const result = await run(['rotate', ID(4), ID(5), '--yes']);
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(new RegExp(`${ID(4)}: NOT applied`));
    expect(sim.tunnel(DEMO_ACCOUNT_ID, ID(4))?.psk).toBeUndefined();
  });

  it('exit 4 when the outcome stays unknown; the stored keys are the ones in force', async () => {
    sim.inject({
      type: 'status',
      status: 502,
      persist: true,
      times: 5,
      match: { operation: 'set_psks', validateOnly: false },
    });
    const result = await run(['rotate', ID(6), '--yes']);
    expect(result.code).toBe(4);
    expect(result.stdout).toMatch(/OUTCOME UNKNOWN/);
    const [file] = await keyFiles(ID(6));
    expect(await readFile(file ?? '', 'utf8')).toBe(sim.tunnel(DEMO_ACCOUNT_ID, ID(6))?.psk);
    expectNoSecrets(result);
  });

  it('SIGINT while the keys are on their way: it finishes, records the outcome, then exits', async () => {
    sim.inject({ type: 'delay', ms: 1_500, match: { operation: 'set_psks', validateOnly: false } });
    const child = spawn(process.execPath, [BIN, 'rotate', ID(7), '--yes'], { env: env(), stdio: 'pipe' });
    const stdout = new Captured(child.stdout);
    const stderr = new Captured(child.stderr);
    child.stdin.end();
    for (let i = 0; i < 200 && sets() === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sets()).toBe(1);
    child.kill('SIGINT');
    await stderr.waitFor(/Finishing/);
    expect(await exitOf(child)).toBe(0);
    expect(stdout.text).toMatch(/Rotated 1 of 1/);
    expect((await audit()).filter((line) => line.event === 'psk_set')).toHaveLength(1);
  });
});

describe('a crash mid-rotation', () => {
  it('SIGKILL while keys are on their way: nothing is lost, and the next start (any front end) names the stored key', async () => {
    sim.inject({ type: 'delay', ms: 5_000, match: { operation: 'set_psks', validateOnly: false } });
    const child = spawn(process.execPath, [BIN, 'rotate', ID(8), '--yes'], { env: env(), stdio: 'pipe' });
    child.stdin.end();
    for (let i = 0; i < 300 && sets() === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sets()).toBe(1);
    child.kill('SIGKILL');
    await exitOf(child);
    // Cloudflare stored the key (the delay fault stores first); so did we, before sending.
    const [file] = await keyFiles(ID(8));
    expect(await readFile(file ?? '', 'utf8')).toBe(sim.tunnel(DEMO_ACCOUNT_ID, ID(8))?.psk);
    expect((await audit()).map((line) => line.event)).toEqual(['rotation_attempt']);

    // At once (the dead process's lock is still fresh, but its holder is gone), the start-up check every front end
    // runs (the MCP server logs it and puts it in its instructions) names the attempt and the stored key.
    const [unfinished, ...more] = await unfinishedRotations(pskDir);
    expect(more).toEqual([]);
    expect(unfinished?.running).toBe(false);
    expect(unfinished?.attempt.ipsec_tunnel_id).toBe(ID(8));
    expect(unfinishedConsequence(unfinished?.attempt ?? ({} as never))).toContain(
      `the tunnel uses either its previous key or the one stored in ${file};`,
    );
    // history says so too.
    const history = await run(['history', ID(8)]);
    expect(history.stdout).toMatch(/1 attempt\(s\) never recorded an outcome/);
    expect(history.stdout).toMatch(/set {2}INTERRUPTED/);
  });
});

describe('#21.3 history', () => {
  it('lists a rotation made a moment before, with its key file as the one in force; no credentials needed', async () => {
    expect((await run(['rotate', ID(0), '--yes'])).code).toBe(0);
    const [file] = await keyFiles(ID(0));
    const text = await run(['history'], { env: { CLOUDFLARE_API_TOKEN: '' } });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Tunnel ${ID(0)} (account ${DEMO_ACCOUNT_ID})`);
    expect(text.stdout).toContain(`current key: ${file}`);
    expect(text.stdout).toMatch(/ {2}\S+Z {2}set {2}applied {2}confirmed by flag/);
    const json = JSON.parse((await run(['history', ID(0), '--json'])).stdout);
    expect(json).toMatchObject({
      psk_dir: pskDir,
      tunnels: [
        {
          ipsec_tunnel_id: ID(0),
          current_key: { psk_file: file },
          interrupted: 0,
          rotations: [{ operation: 'set_psks', result: 'applied', psk_file: file, confirmed_by: 'flag' }],
        },
      ],
    });
    expect((await run(['history', ID(1)])).stdout).toMatch(/No rotations recorded in /);
    expect(sim.requests.filter((r) => r.operation === 'list_tunnels')).toHaveLength(1);
  });
});

describe('usage', () => {
  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['rotate'], /rotate needs tunnels, or --name/],
    [['rotate', ID(0), '--name', 'x'], /either tunnels or --name/],
    [['list', '--older-than', 'ninety'], /--older-than must be a whole number of days/],
    [['list', '--colour'], /^ipsec-psk: unknown option --colour\. Run ipsec-psk --help\.\n$/],
    [['list', '--older-than'], /^ipsec-psk: --older-than needs a value\. Run ipsec-psk --help\.\n$/],
    [['list', '--json=yes'], /^ipsec-psk: --json takes no value\. Run ipsec-psk --help\.\n$/],
  ])('%j is refused with exit 2, naming the rule', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    // Every quote the message opens, it closes.
    expect((result.stderr.match(/['"]/g) ?? []).length % 2).toBe(0);
    expect(sim.requests).toHaveLength(0);
  });

  it('a bad setting names the variable, never its value', async () => {
    const result = await run(['list'], { env: { IPSEC_PSK_DIR: 'relative/dir' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/IPSEC_PSK_DIR must be an absolute path/);
  });

  it('a name no tunnel has is named in the error', async () => {
    const result = await run(['rotate', 'nope-01', '--yes']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no tunnel in account .* is named "nope-01"/);
    expect(sets()).toBe(0);
  });
});
