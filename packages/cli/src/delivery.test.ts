import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_ACCOUNT_ID, manyTunnels, type Simulator, startSimulator } from '@ipsec-psk/cloudflare-sim';
import { Captured, exitOf } from '@ipsec-psk/rotation/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// ipsec-psk with a delivery file (IPSEC_PSK_DELIVERY): the built binary against the simulator, with a program of
// the operator's as the target. Exit status 5 says a key is applied but its device did not take it; `restore`
// puts the previous key back.

const BIN = fileURLToPath(new URL('../dist/ipsec-psk.js', import.meta.url));
const TOKEN = 'SENTINELcliDeliveryToken2w3e4r';
const FLEET = manyTunnels(3, { namePrefix: 'par-' });
const ID = (index: number) => FLEET.tunnels[index]?.id ?? '';

let sim: Simulator;
let pskDir: string;
let work: string;
beforeEach(async () => {
  sim = await startSimulator({ apiTokens: [TOKEN], accounts: [FLEET] });
  pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-cli-delivery-keys-'));
  work = await mkdtemp(join(tmpdir(), 'ipsec-psk-cli-delivery-'));
});
afterEach(async () => {
  expect(sim.specViolations).toEqual([]);
  await sim.close();
  await rm(pskDir, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function run(args: string[], extra: Record<string, string> = {}): Promise<Run> {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CLOUDFLARE_API_TOKEN: TOKEN,
    CLOUDFLARE_ACCOUNT_ID: DEMO_ACCOUNT_ID,
    CLOUDFLARE_BASE_URL: sim.url,
    IPSEC_PSK_DIR: pskDir,
    IPSEC_PSK_DELIVERY: join(work, 'delivery.json'),
    ...extra,
  };
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: 'pipe' });
  const stdout = new Captured(child.stdout);
  const stderr = new Captured(child.stderr);
  child.stdin.end();
  const code = await exitOf(child);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** A delivery file whose target is a program that takes the key, or fails while the file `fail` exists. */
async function deliverByProgram(): Promise<void> {
  const program = join(work, 'push.sh');
  await writeFile(
    program,
    `#!/bin/sh\nIFS= read -r key\n[ -e "${work}/fail" ] && { echo "router unreachable" >&2; exit 9; }\n` +
      `printf %s "$key" > "${work}/device-$(echo "$IPSEC_PSK_TUNNEL" | sed 's/.*"ipsec_tunnel_id":"\\([0-9a-f]*\\)".*/\\1/')"\n`,
    { mode: 0o700 },
  );
  await writeFile(
    join(work, 'delivery.json'),
    JSON.stringify({ default: { kind: 'command', argv: [program], name: 'par-router' } }),
    { mode: 0o600 },
  );
}

const simKey = (index: number) => sim.tunnel(DEMO_ACCOUNT_ID, ID(index))?.psk ?? '';
const persisting = () => sim.count({ operation: 'set_psks', validateOnly: false });

function expectNoKeys(result: Run): void {
  for (const index of [0, 1, 2]) {
    if (simKey(index)) expect(result.stdout + result.stderr).not.toContain(simKey(index));
  }
  expect(result.stdout + result.stderr).not.toContain(TOKEN);
}

describe('ipsec-psk with a delivery file', () => {
  it('delivers every applied key and exits 0; --json carries each delivery', async () => {
    await deliverByProgram();
    const result = await run(['rotate', ID(0), ID(1), '--yes', '--json']);
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    const delivered = {
      target: 'par-router',
      kind: 'command',
      result: 'delivered',
      detail: 'par-router exited with status 0.',
    };
    expect(output.tunnels.map((t: { delivery: unknown }) => t.delivery)).toEqual([delivered, delivered]);
    // The key reached the device, so Cloudflare's view was asked (the simulator sees both up).
    for (const tunnel of output.tunnels) expect(tunnel.health).toMatchObject({ state: 'up', colos: 3 });
    for (const index of [0, 1]) {
      expect(await readFile(join(work, `device-${ID(index)}`), 'utf8')).toBe(simKey(index));
    }
    expectNoKeys(result);
  });

  it('exit 5 when delivery fails; restore puts the previous key back after the same confirmation', async () => {
    await deliverByProgram();
    expect((await run(['rotate', ID(2), '--yes'])).code).toBe(0);
    const deviceKey = simKey(2);
    await writeFile(join(work, 'fail'), '');
    const failed = await run(['rotate', 'par-3', '--yes']);
    expect(failed.code).toBe(5);
    expect(failed.stdout).toMatch(/Delivery to the customer devices: 0 delivered, 1 FAILED/);
    expect(failed.stdout).toMatch(
      /par-router exited with status 9; its stderr ended with: "router unreachable"/,
    );
    expect(failed.stdout).toContain(`the previous key is held here (ipsec-psk restore ${ID(2)})`);
    expect(simKey(2)).not.toBe(deviceKey);

    const refused = await run(['restore', ID(2)]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/stdin is not a terminal.*pass --yes to restore without asking/);

    await rm(join(work, 'fail'));
    const restored = await run(['restore', 'par-3', '--yes', '--json']);
    expect(restored.code).toBe(0);
    expect(restored.stderr).toMatch(/Put the previous pre-shared key back on IPsec tunnel/);
    expect(restored.stderr).toMatch(/Put the previous key back now\? yes \(--yes\)/);
    expect(JSON.parse(restored.stdout).tunnels[0]).toMatchObject({
      result: 'applied',
      delivery: { result: 'delivered' },
    });
    expect(simKey(2)).toBe(deviceKey);
    const audit = (await readFile(join(pskDir, 'audit.jsonl'), 'utf8')).split('\n').filter(Boolean);
    const attempt = audit.map((line) => JSON.parse(line)).find((line) => line.restore_of);
    expect(attempt).toMatchObject({ event: 'rotation_attempt', operation: 'set_psks', confirmed_by: 'flag' });
    for (const result of [failed, restored]) expectNoKeys(result);
  });

  it('restore without a previous key held here: says so, exit 1, nothing sent', async () => {
    await deliverByProgram();
    const result = await run(['restore', ID(0), '--yes', '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).error).toMatch(
      new RegExp(`^No previous key of tunnel ${ID(0)} is held on this machine`),
    );
    expect(persisting()).toBe(0);
  });

  it.each([
    [['restore'], /restore takes exactly one tunnel/],
    [['restore', ID(0), ID(1)], /restore takes exactly one tunnel/],
    [['restore', ID(0), '--validate-only'], /--validate-only is for rotate/],
  ])('%j is a usage error', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('a bad delivery file stops before any request, naming the setting, the field and the rule', async () => {
    await writeFile(
      join(work, 'delivery.json'),
      JSON.stringify({ default: { kind: 'command', argv: ['push'] } }),
      {
        mode: 0o600,
      },
    );
    const relative = await run(['rotate', ID(0), '--yes']);
    expect(relative.code).toBe(2);
    expect(relative.stderr).toBe(
      'ipsec-psk: IPSEC_PSK_DELIVERY: default.argv[0] must be an absolute path (no shell, no PATH).\n',
    );
    await chmod(join(work, 'delivery.json'), 0o666);
    const open = await run(['rotate', ID(0), '--yes']);
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(
      /IPSEC_PSK_DELIVERY: .*delivery\.json is writable by other users \(mode 0666\)/,
    );
    expect(sim.requests).toHaveLength(0);
    // list needs no delivery file.
    expect((await run(['list'])).code).toBe(0);
  });

  it('exit 6 when a device took its key but Cloudflare still sees the tunnel down after the wait', async () => {
    await deliverByProgram();
    sim.setTunnelState(DEMO_ACCOUNT_ID, ID(1), 0);
    const result = await run(['rotate', ID(0), ID(1), '--yes'], { IPSEC_PSK_HEALTH_WAIT: '1' });
    expect(result.code).toBe(6);
    expect(result.stdout).toMatch(/Cloudflare's view after delivery: 1 up, 1 DOWN\./);
    expect(result.stdout).toContain(`- ${ID(1)}: DOWN (Down: 0 of 3 data centres see it up`);
    expectNoKeys(result);
  });

  it('IPSEC_PSK_HEALTH_WAIT=0 skips the check; a bad value stops before any request', async () => {
    await deliverByProgram();
    const skipped = await run(['rotate', ID(0), '--yes', '--json'], { IPSEC_PSK_HEALTH_WAIT: '0' });
    expect(skipped.code).toBe(0);
    expect(JSON.parse(skipped.stdout).tunnels[0].health).toBeUndefined();
    expect(sim.count({ operation: 'graphql' })).toBe(0);
    const before = sim.requests.length;
    const bad = await run(['rotate', ID(0), '--yes'], { IPSEC_PSK_HEALTH_WAIT: 'soon' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/IPSEC_PSK_HEALTH_WAIT must be a whole number of seconds from 0 to 3600/);
    expect(sim.requests.length).toBe(before);
  });

  it('health: up or DOWN per tunnel, by id or name; exit 6 unless every one is up', async () => {
    sim.setTunnelState(DEMO_ACCOUNT_ID, ID(1), 0);
    const mixed = await run(['health', ID(0), FLEET.tunnels[1]?.name ?? '']);
    expect(mixed.code).toBe(6);
    expect(mixed.stdout).toMatch(new RegExp(`${ID(0)}\\s+up\\s+par-1`));
    expect(mixed.stdout).toMatch(new RegExp(`${ID(1)}\\s+DOWN\\s+par-2`));
    const up = await run(['health', ID(0), '--json']);
    expect(up.code).toBe(0);
    expect(JSON.parse(up.stdout)).toMatchObject({
      account_id: DEMO_ACCOUNT_ID,
      tunnels: [{ ipsec_tunnel_id: ID(0), tunnel_name: 'par-1', health: { state: 'up' } }],
    });
    expect((await run(['health'])).stderr).toMatch(/health takes one or more tunnels/);
    expect((await run(['health', ID(0), '--wait', 'x'])).stderr).toMatch(/--wait must be a whole number/);
  });

  it('--show-config prints the configuration text the operator asked for; without it, only its file', async () => {
    await writeFile(
      join(work, 'delivery.json'),
      JSON.stringify({ default: { kind: 'config', platform: 'fortios' } }),
      { mode: 0o600 },
    );
    const quiet = await run(['rotate', ID(0), '--yes']);
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toMatch(/\.fortios\.txt/);
    expectNoKeys(quiet);
    const shown = await run(['rotate', ID(0), '--yes', '--show-config']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`--- configuration for tunnel ${ID(0)}`);
    expect(shown.stdout).toContain(simKey(0));
    expect((await run(['list', '--show-config'])).stderr).toMatch(/--show-config is for rotate and restore/);
  });

  it('--help documents restore, health and exit statuses 5 and 6', async () => {
    const help = await run(['--help']);
    expect(help.stdout).toMatch(/ipsec-psk restore TUNNEL \[--yes\] \[--json \| --show-config\]/);
    expect(help.stdout).toMatch(/ipsec-psk health {2}TUNNEL\.\.\. \[--wait SECONDS\] \[--json\]/);
    expect(help.stdout).toMatch(/5 applied, but delivery to a configured target failed/);
    expect(help.stdout).toMatch(/6 a tunnel\nwhose key reached its device that Cloudflare does not see up/);
  });
});
