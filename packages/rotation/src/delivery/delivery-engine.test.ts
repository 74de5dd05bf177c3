import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEMO_ACCOUNT_ID,
  DEMO_TUNNEL_ID,
  DEMO_TUNNEL_ID_2,
  type Simulator,
  startSimulator,
} from '@ipsec-psk/cloudflare-sim';
import { createPskClient } from '@ipsec-psk/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../logger.js';
import { createRotator } from '../rotator.js';
import { parseDeliveryConfig } from './config-file.js';

// Delivery through the engine, against the simulator, with targets that need no IKE daemon: a program of the
// operator's and configuration text. The key is stored first; delivery adds a result and never changes the
// rotation's outcome; a failure offers the previous key when this machine holds it.

const TOKEN = 'SENTINELdeliveryToken1q2w3e4r';
let sim: Simulator;
let pskDir: string;
let work: string;
const logged: string[] = [];
const logger: Logger = {
  info: (m) => logged.push(m),
  warn: (m) => logged.push(m),
  error: (m) => logged.push(m),
};

beforeEach(async () => {
  sim = await startSimulator({ apiTokens: [TOKEN] });
  pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-delivery-keys-'));
  work = await mkdtemp(join(tmpdir(), 'ipsec-psk-delivery-work-'));
  logged.length = 0;
});
afterEach(async () => {
  expect(sim.specViolations).toEqual([]);
  await sim.close();
  await rm(pskDir, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

/** A program that stores what it got on stdin, or fails when the file `fail` exists. */
async function pushProgram(): Promise<string> {
  const path = join(work, 'push.sh');
  await writeFile(
    path,
    `#!/bin/sh\nIFS= read -r key\nif [ -e "${work}/fail" ]; then echo "router said: no" >&2; exit 7; fi\n` +
      `printf %s "$key" > "${work}/device-key"\n`,
    { mode: 0o700 },
  );
  return path;
}

async function rotator(delivery: unknown, answers: boolean[] = []) {
  const asked: string[] = [];
  const config = parseDeliveryConfig(JSON.stringify(delivery), join(work, 'delivery.json'));
  const instance = createRotator({
    client: createPskClient({ apiToken: TOKEN, baseUrl: sim.url, retry: { baseDelayMs: 1 } }),
    pskDir,
    defaultAccountId: DEMO_ACCOUNT_ID,
    logger,
    delivery: config,
    confirm: (question) => {
      asked.push(question);
      return answers.shift() ?? true;
    },
  });
  return { instance, asked };
}

const simKey = (id: string) => sim.tunnel(DEMO_ACCOUNT_ID, id)?.psk ?? '';

async function auditLines(): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(pskDir, 'audit.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

/** No key this test saw may appear in a result, a text, an audit line or a log line. */
async function expectNoKeys(visible: unknown, keys: string[]): Promise<void> {
  const all = `${JSON.stringify(visible)}\n${await readFile(join(pskDir, 'audit.jsonl'), 'utf8')}\n${logged.join('\n')}`;
  for (const key of keys.filter(Boolean)) {
    expect(all).not.toContain(key);
    expect(all).not.toContain(Buffer.from(key).toString('hex'));
  }
}

describe('delivery through the engine', () => {
  it('Generate PSK: the stored key goes to the program; the result and the audit log say so', async () => {
    const program = await pushProgram();
    const { instance } = await rotator({ default: { kind: 'command', argv: [program], name: 'fra-router' } });
    const answer = await instance.rotateTunnel({ tunnelId: DEMO_TUNNEL_ID });
    if ('error' in answer) throw new Error(answer.error);
    expect(answer.output.status).toBe('generated');
    expect(answer.output.delivery).toEqual({
      target: 'fra-router',
      kind: 'command',
      result: 'delivered',
      detail: 'fra-router exited with status 0.',
    });
    expect(answer.text).toMatch(
      /Delivered to fra-router: fra-router exited with status 0\. Whether the tunnel came up/,
    );
    expect(await readFile(join(work, 'device-key'), 'utf8')).toBe(simKey(DEMO_TUNNEL_ID));
    expect(await readFile(answer.output.psk_file ?? '', 'utf8')).toBe(simKey(DEMO_TUNNEL_ID));
    const lines = await auditLines();
    expect(lines.map((line) => line.event)).toEqual(['rotation_attempt', 'generated', 'delivered']);
    expect(lines[2]).toMatchObject({ target: 'fra-router', psk_fingerprint: answer.output.psk_fingerprint });
    await expectNoKeys(answer, [simKey(DEMO_TUNNEL_ID)]);
  });

  it('a failed delivery keeps the outcome, offers the previous key held here, and restore puts it back', async () => {
    const program = await pushProgram();
    const { instance, asked } = await rotator({
      tunnels: [{ name: 'demo_tunnel_*', target: { kind: 'command', argv: [program] } }],
      manual_config: 'junos',
    });
    const first = await instance.rotateTunnels({ tunnelIds: [DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2] });
    if ('error' in first) throw new Error(first.error);
    const previousKey = simKey(DEMO_TUNNEL_ID);
    const previousFile = first.output.tunnels[0]?.psk_file;
    expect(first.output.tunnels.map((t) => t.delivery?.result)).toEqual(['delivered', 'delivered']);

    await writeFile(join(work, 'fail'), '');
    const second = await instance.rotateTunnels({ tunnelIds: [DEMO_TUNNEL_ID] });
    if ('error' in second) throw new Error(second.error);
    const newKey = simKey(DEMO_TUNNEL_ID);
    expect(second.output).toMatchObject({ status: 'completed', applied: 1 });
    const delivery = second.output.tunnels[0]?.delivery;
    expect(delivery).toMatchObject({
      target: 'command:push.sh',
      result: 'failed',
      detail: 'command:push.sh exited with status 7; its stderr ended with: "router said: no".',
      previous_key_held: true,
      previous_key_file: previousFile,
      previous_key_fingerprint: first.output.tunnels[0]?.psk_fingerprint,
    });
    // manual_config: the text for a person, beside the key, private.
    expect(delivery?.config_file).toMatch(/\.junos\.txt$/);
    expect((await stat(delivery?.config_file ?? '')).mode & 0o777).toBe(0o600);
    expect(await readFile(delivery?.config_file ?? '', 'utf8')).toContain(`ascii-text "${newKey}"`);
    expect(second.text).toMatch(/Delivery to the customer devices: 0 delivered, 1 FAILED/);
    expect(second.text).toContain(`the previous key is held here (ipsec-psk restore ${DEMO_TUNNEL_ID})`);

    await rm(join(work, 'fail'));
    asked.length = 0;
    const restored = await instance.restorePreviousKey({ tunnelId: DEMO_TUNNEL_ID });
    if ('error' in restored) throw new Error(restored.error);
    expect(asked[0]).toMatch(/Put the previous pre-shared key back on IPsec tunnel/);
    expect(asked[0]).toContain(previousFile);
    expect(restored.output).toMatchObject({ status: 'completed', applied: 1 });
    expect(restored.output.tunnels[0]?.delivery).toMatchObject({ result: 'delivered' });
    expect(simKey(DEMO_TUNNEL_ID)).toBe(previousKey);
    expect(await readFile(join(work, 'device-key'), 'utf8')).toBe(previousKey);
    const restore = (await auditLines()).filter((line) => line.restore_of !== undefined);
    expect(restore.map((line) => [line.event, line.operation, line.restore_of])).toEqual([
      ['rotation_attempt', 'set_psks', previousFile],
      ['psk_set', 'set_psks', previousFile],
    ]);
    await expectNoKeys([first, second, restored, asked], [previousKey, newKey, simKey(DEMO_TUNNEL_ID_2)]);
  });

  it('a program that ignores SIGTERM is killed after its timeout, and the tunnel’s lock is released', async () => {
    const stubborn = join(work, 'stubborn.sh');
    await writeFile(stubborn, "#!/bin/sh\ntrap '' TERM\nsleep 30\n", { mode: 0o700 });
    const { instance } = await rotator({ default: { kind: 'command', argv: [stubborn], timeout_ms: 200 } });
    const started = Date.now();
    const answer = await instance.rotateTunnels({ tunnelIds: [DEMO_TUNNEL_ID] });
    if ('error' in answer) throw new Error(answer.error);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(answer.output).toMatchObject({ status: 'completed', applied: 1 });
    expect(answer.output.tunnels[0]?.delivery).toMatchObject({ result: 'failed', previous_key_held: false });
    expect(answer.output.tunnels[0]?.delivery?.detail).toMatch(/did not finish within 200 ms and was killed/);
    expect(answer.text).toMatch(/no previous key is held here/);
    // The lock (shared through the key directory) is free again: the next rotation is not "already in progress".
    const again = await (await rotator({})).instance.rotateTunnels({ tunnelIds: [DEMO_TUNNEL_ID] });
    expect('output' in again && again.output.status).toBe('completed');
  });

  it('says plainly when no previous key is held, and sends nothing', async () => {
    const { instance, asked } = await rotator({});
    const answer = await instance.restorePreviousKey({ tunnelId: DEMO_TUNNEL_ID });
    expect(answer).toEqual({
      error:
        `No previous key of tunnel ${DEMO_TUNNEL_ID} is held on this machine (no earlier key of this tunnel was ` +
        'stored by a rotation on this machine), so it cannot be put back. Nothing was sent. Configure the current ' +
        'key on the customer device instead.',
    });
    expect(asked).toEqual([]);
    expect(sim.requests).toHaveLength(0);
  });

  it('a declined restore sends nothing', async () => {
    const { instance } = await rotator({}, [true, true, false]);
    await instance.rotateTunnels({ tunnelIds: [DEMO_TUNNEL_ID] });
    await instance.rotateTunnels({ tunnelIds: [DEMO_TUNNEL_ID] });
    const current = simKey(DEMO_TUNNEL_ID);
    const answer = await instance.restorePreviousKey({ tunnelId: DEMO_TUNNEL_ID });
    expect(answer).toMatchObject({ output: { status: 'declined' } });
    expect(simKey(DEMO_TUNNEL_ID)).toBe(current);
  });

  it('no target: skipped, with configuration text when manual_config asks for it; an unknown outcome is not delivered', async () => {
    const { instance } = await rotator({
      tunnels: [{ id: DEMO_TUNNEL_ID_2, target: { kind: 'config', platform: 'vyos' } }],
      manual_config: 'strongswan',
    });
    const answer = await instance.rotateTunnel({ tunnelId: DEMO_TUNNEL_ID });
    if ('error' in answer) throw new Error(answer.error);
    expect(answer.output.delivery).toMatchObject({
      target: 'none',
      result: 'skipped',
      detail: expect.stringMatching(
        /^no target in .*delivery\.json matches this tunnel, and it has no default\.$/,
      ),
      config_file: expect.stringMatching(/\.swanctl\.conf$/),
    });
    expect(answer.text).toMatch(
      /The key was not delivered: .* until then the tunnel is down\. Configuration text/,
    );
    const text = await readFile(answer.output.delivery?.config_file ?? '', 'utf8');
    expect(text).toContain(`secret = 0x${Buffer.from(simKey(DEMO_TUNNEL_ID)).toString('hex')}`);

    const config = await instance.rotateTunnels({ tunnelIds: [DEMO_TUNNEL_ID_2] });
    if ('error' in config) throw new Error(config.error);
    expect(config.output.tunnels[0]?.delivery).toMatchObject({
      target: 'config:vyos',
      result: 'delivered',
      config_file: expect.stringMatching(/\.vyos\.txt$/),
    });

    sim.inject({
      type: 'status',
      status: 502,
      persist: true,
      times: 5,
      match: { operation: 'set_psks', validateOnly: false },
    });
    const unknown = await instance.rotateTunnels({ tunnelIds: [DEMO_TUNNEL_ID_2] });
    if ('error' in unknown) throw new Error(unknown.error);
    expect(unknown.output.status).toBe('outcome_unknown');
    expect(unknown.output.tunnels[0]?.delivery).toMatchObject({
      target: 'config:vyos',
      result: 'skipped',
      detail: expect.stringMatching(/^whether Cloudflare applied the key is unknown/),
    });
    await expectNoKeys([answer, config, unknown], [simKey(DEMO_TUNNEL_ID), simKey(DEMO_TUNNEL_ID_2)]);
  });
});
