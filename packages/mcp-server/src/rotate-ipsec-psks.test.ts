import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DEMO_ACCOUNT_ID, manyTunnels } from '@ipsec-psk/cloudflare-sim';
import type { PskClient } from '@ipsec-psk/core';
import type { FleetOutput } from '@ipsec-psk/rotation';
import { failingFiles } from '@ipsec-psk/rotation/testing';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  accept,
  decline,
  type Harness,
  type HarnessOptions,
  startHarness,
  TOKEN,
  textOf,
} from './test-support/harness.js';

// rotate_ipsec_psks against the simulator: one confirmation, keys made and stored here before any is sent, the
// same keys repeated on doubt, and every tunnel's final state reported as the simulator holds it.

const OLD = '2026-01-01T00:00:00Z';
const FLEET = manyTunnels(50, { namePrefix: 'fra-', lastGeneratedOn: OLD });
const IDS = FLEET.tunnels.map((tunnel) => tunnel.id);

let h: Harness;
afterEach(async () => {
  expect(h.sim.specViolations).toEqual([]);
  await h.close();
});

/** What the client sent in each persisting Set PSKs request, tunnel by tunnel. */
interface SentKeys {
  keys: Map<string, string>;
  /** Keys on disk at the moment each persisting request was made, by tunnel. */
  onDisk: Map<string, string[]>[];
}

/** A core client that records, at the moment of every persisting set, which keys are already in files. */
function recordingClient(sent: SentKeys, pskDir: () => string) {
  return (client: PskClient): PskClient => ({
    ...client,
    setIpsecPsks: async (input) => {
      if (!input.validateOnly) {
        const disk = new Map<string, string[]>();
        for (const { ipsecTunnelId, psk } of input.psks) {
          const dir = join(pskDir(), DEMO_ACCOUNT_ID, ipsecTunnelId);
          const files = (await readdir(dir)).filter((name) => name.endsWith('.psk'));
          disk.set(ipsecTunnelId, await Promise.all(files.map((name) => readFile(join(dir, name), 'utf8'))));
          const key = typeof psk === 'string' ? psk : psk.reveal();
          const earlier = sent.keys.get(ipsecTunnelId);
          // No tunnel is ever sent two different keys within one intent.
          expect(earlier === undefined || earlier === key).toBe(true);
          sent.keys.set(ipsecTunnelId, key);
        }
        sent.onDisk.push(disk);
      }
      return client.setIpsecPsks(input);
    },
  });
}

async function fleet(options: HarnessOptions = {}, sent?: SentKeys): Promise<Harness> {
  let dir = '';
  h = await startHarness({
    elicit: accept,
    sim: { accounts: [FLEET] },
    ...options,
    ...(sent ? { wrapClient: recordingClient(sent, () => dir) } : {}),
  });
  dir = h.pskDir;
  return h;
}

const rotate = (args: Record<string, unknown>, onprogress?: (progress: Progress) => void) =>
  h.client.callTool({ name: 'rotate_ipsec_psks', arguments: args }, undefined, {
    timeout: 60_000,
    ...(onprogress ? { onprogress } : {}),
  }) as Promise<CallToolResult>;
const output = (result: CallToolResult) => result.structuredContent as FleetOutput;
const sets = () => h.sim.count({ operation: 'set_psks', validateOnly: false });
const validations = () => h.sim.count({ operation: 'set_psks', validateOnly: true });
const simKey = (id: string) => h.sim.tunnel(DEMO_ACCOUNT_ID, id)?.psk;

/** Every tunnel's reported result agrees with what the simulator holds and what is on disk. */
async function expectTruthfulReport(result: CallToolResult): Promise<void> {
  for (const tunnel of output(result).tunnels) {
    const key = simKey(tunnel.ipsec_tunnel_id);
    const stored = tunnel.psk_file ? await readFile(tunnel.psk_file, 'utf8') : undefined;
    if (tunnel.result === 'applied') {
      expect(stored).toBe(key);
      expect(tunnel.psk_file).toMatch(/\.psk$/);
    } else if (tunnel.result === 'not_applied' || tunnel.result === 'not_sent') {
      expect(key).toBeUndefined();
      expect(tunnel.psk_file).toMatch(/\.psk\.not-applied$/);
    } else {
      // Unknown: the tunnel holds either its old key (none, here) or exactly the stored new one.
      expect([undefined, stored]).toContain(key);
      expect(tunnel.psk_file).toMatch(/\.psk$/);
    }
  }
  const text = `${textOf(result)}${JSON.stringify(result.structuredContent)}`;
  expect(text).not.toContain(TOKEN);
  for (const id of IDS) {
    const key = simKey(id);
    if (key) expect(text).not.toContain(key);
  }
}

describe('rotate_ipsec_psks: 50 tunnels, one confirmation', () => {
  it('asks once naming every tunnel, stores every key before sending, sets them all in one request', async () => {
    const sent: SentKeys = { keys: new Map(), onDisk: [] };
    await fleet({}, sent);
    const result = await rotate({ ipsec_tunnel_ids: IDS });
    expect(result.isError).toBeFalsy();
    expect(output(result)).toMatchObject({ status: 'completed', applied: 50, not_applied: 0, unknown: 0 });
    expect(h.elicitations).toHaveLength(1);
    expect(h.elicitations[0]).toMatch(/Rotate the pre-shared keys of 50 IPsec tunnels/);
    for (const id of IDS) expect(h.elicitations[0]).toContain(id);
    expect(h.elicitations[0]).toContain('"fra-01"');
    expect(validations()).toBe(1);
    expect(sets()).toBe(1);
    // At the moment of sending, each tunnel's key was already in a file.
    const [disk] = sent.onDisk;
    for (const id of IDS) expect(disk?.get(id)).toContain(sent.keys.get(id));
    for (const tunnel of output(result).tunnels) {
      expect((await stat(tunnel.psk_file ?? '')).mode & 0o777).toBe(0o600);
      expect(tunnel.psk_fingerprint).toMatch(/^sha256:[0-9a-f]{16}$/);
      expect(tunnel.tunnel_name).toMatch(/^fra-\d\d$/);
    }
    await expectTruthfulReport(result);
    const audit = await h.auditLines();
    const attempts = audit.filter((line) => line.event === 'rotation_attempt');
    expect(attempts).toHaveLength(50);
    expect(attempts[0]).toMatchObject({ operation: 'set_psks', confirmed_by: 'form' });
    expect(attempts.every((line) => typeof line.psk_file === 'string')).toBe(true);
    expect(audit.filter((line) => line.event === 'psk_set')).toHaveLength(50);
  });

  it('declined: nothing sent, no key made', async () => {
    await fleet({ elicit: decline });
    const result = await rotate({ ipsec_tunnel_ids: IDS });
    expect(output(result)).toMatchObject({ status: 'declined' });
    expect(h.elicitations).toHaveLength(1);
    expect(sets()).toBe(0);
    expect(await h.pskFiles()).toEqual([]);
    expect(IDS.every((id) => simKey(id) === undefined)).toBe(true);
  });

  it('validate_only: one validate-only request for all, nobody asked, nothing stored', async () => {
    await fleet();
    const result = await rotate({ ipsec_tunnel_ids: IDS, validate_only: true });
    expect(output(result)).toMatchObject({ status: 'validated' });
    expect(output(result).tunnels).toHaveLength(50);
    expect(validations()).toBe(1);
    expect(sets()).toBe(0);
    expect(h.elicitations).toEqual([]);
    expect(await h.pskFiles()).toEqual([]);
  });

  it('a tunnel Cloudflare would refuse fails validation: named, nobody asked, nothing sent', async () => {
    await fleet();
    const missing = 'f'.repeat(32);
    const result = await rotate({ ipsec_tunnel_ids: [...IDS.slice(0, 3), missing] });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(new RegExp(`Validation failed for 1 of 4 tunnels.*${missing}`, 's'));
    expect(h.elicitations).toEqual([]);
    expect(sets()).toBe(0);
  });

  it('a repeated tunnel id is refused before any request, naming the field', async () => {
    await fleet();
    const result = await rotate({ ipsec_tunnel_ids: [IDS[0], IDS[1], IDS[0]] });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/ipsec_tunnel_ids\[2\] names a tunnel listed before/);
    expect(h.sim.requests).toHaveLength(0);
  });
});

describe('rotate_ipsec_psks: faults on the set call', () => {
  it('reset after Cloudflare stored the keys: the same keys are sent again, all applied', async () => {
    const sent: SentKeys = { keys: new Map(), onDisk: [] };
    await fleet({}, sent);
    h.sim.inject({ type: 'reset', match: { operation: 'set_psks', validateOnly: false } });
    const result = await rotate({ ipsec_tunnel_ids: IDS });
    expect(output(result)).toMatchObject({ status: 'completed', applied: 50 });
    expect(sets()).toBe(2);
    const bodies = h.sim.requests
      .filter((request) => request.operation === 'set_psks' && !request.validateOnly)
      .map((request) => request.body);
    expect(bodies[1]).toBe(bodies[0]);
    await expectTruthfulReport(result);
  });

  it('5xx on every attempt after storing: outcome unknown, checked back, the stored keys are the ones in force', async () => {
    await fleet();
    h.sim.inject({
      type: 'status',
      status: 502,
      persist: true,
      times: 3,
      match: { operation: 'set_psks', validateOnly: false },
    });
    const result = await rotate({ ipsec_tunnel_ids: IDS });
    expect(output(result)).toMatchObject({ status: 'outcome_unknown', unknown: 50, applied: 0 });
    expect(sets()).toBe(3);
    expect(output(result).tunnels.every((tunnel) => tunnel.rotated === 'yes')).toBe(true);
    expect(textOf(result)).toMatch(/UNKNOWN outcome.*nothing is lost/s);
    await expectTruthfulReport(result);
    for (const tunnel of output(result).tunnels) {
      expect(await readFile(tunnel.psk_file ?? '', 'utf8')).toBe(simKey(tunnel.ipsec_tunnel_id));
    }
  });

  it('5xx that stored nothing: outcome unknown, and checking back shows the old keys still in force', async () => {
    await fleet();
    h.sim.inject({
      type: 'status',
      status: 503,
      times: 3,
      match: { operation: 'set_psks', validateOnly: false },
    });
    const result = await rotate({ ipsec_tunnel_ids: IDS.slice(0, 5) });
    expect(output(result)).toMatchObject({ status: 'outcome_unknown', unknown: 5 });
    expect(output(result).tunnels.every((tunnel) => tunnel.rotated === 'no')).toBe(true);
    await expectTruthfulReport(result);
  });

  it('partial: Cloudflare applies 45 and refuses 5 with a reason; those keep their old keys', async () => {
    await fleet();
    const refused = IDS.slice(10, 15);
    // Only on the real request: the validation passes, as it would for a tunnel that changes state in between.
    h.sim.inject({
      type: 'unapply',
      tunnels: refused,
      reason: 'tunnel is \u001b[31mbeing updated',
      match: { operation: 'set_psks', validateOnly: false },
    });
    const result = await rotate({ ipsec_tunnel_ids: IDS });
    expect(output(result)).toMatchObject({ status: 'completed', applied: 45, not_applied: 5 });
    for (const tunnel of output(result).tunnels) {
      if (!refused.includes(tunnel.ipsec_tunnel_id)) continue;
      expect(tunnel.result).toBe('not_applied');
      expect(tunnel.reason).toBe('tunnel is being updated');
    }
    expect(textOf(result)).not.toContain('\u001b');
    await expectTruthfulReport(result);
    expect((await h.auditLines()).filter((line) => line.event === 'psk_not_applied')).toHaveLength(5);
  });
});

describe('rotate_ipsec_psks: large sets', () => {
  it('250 tunnels go in 3 requests, with progress the client sees growing', async () => {
    const big = manyTunnels(250, { lastGeneratedOn: OLD });
    await fleet({ sim: { accounts: [big] } });
    const seen: Progress[] = [];
    const result = await rotate({ ipsec_tunnel_ids: big.tunnels.map((t) => t.id) }, (p) => seen.push(p));
    expect(output(result)).toMatchObject({ status: 'completed', applied: 250 });
    expect(sets()).toBe(3);
    expect(validations()).toBe(3);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < seen.length; i++)
      expect(seen[i]?.progress).toBeGreaterThan(seen[i - 1]?.progress ?? 0);
    expect(seen.at(-1)).toMatchObject({ progress: 251, total: 251 });
  });

  it('#20 5000 tunnels in one call: a request per hundred, progress to the end, every key applied', async () => {
    const big = manyTunnels(5000, { lastGeneratedOn: OLD });
    await fleet({ sim: { accounts: [big] } });
    const seen: Progress[] = [];
    const result = await rotate({ ipsec_tunnel_ids: big.tunnels.map((t) => t.id) }, (p) => seen.push(p));
    expect(output(result)).toMatchObject({ status: 'completed', applied: 5000 });
    expect([sets(), validations()]).toEqual([50, 50]);
    expect(seen.length).toBeGreaterThanOrEqual(50);
    expect(seen.at(-1)).toMatchObject({ progress: 5001, total: 5001 });
  }, 120_000);

  it("a rate limit longer than core's retry budget is waited out, then the same keys are sent", async () => {
    const waits: number[] = [];
    await fleet({ server: { rateLimitSleep: async (ms) => void waits.push(ms) } });
    h.sim.inject({
      type: 'status',
      status: 429,
      retryAfterSeconds: 40,
      match: { operation: 'set_psks', validateOnly: false },
    });
    const result = await rotate({ ipsec_tunnel_ids: IDS });
    expect(output(result)).toMatchObject({ status: 'completed', applied: 50 });
    expect(waits).toEqual([40_000]);
    expect(sets()).toBe(2);
    await expectTruthfulReport(result);
  });

  it('a request refused outright leaves the rest unsent: old keys kept, files marked', async () => {
    const big = manyTunnels(150, { lastGeneratedOn: OLD });
    await fleet({ sim: { accounts: [big] } });
    h.sim.inject({ type: 'status', status: 403, match: { operation: 'set_psks', validateOnly: false } });
    const result = await rotate({ ipsec_tunnel_ids: big.tunnels.map((t) => t.id) });
    expect(output(result)).toMatchObject({ status: 'completed', applied: 0, not_sent: 150 });
    expect(sets()).toBe(1);
    expect(await h.pskFiles()).toEqual([]);
  });
});

describe('rotate_ipsec_psks: the disk', () => {
  it('a key that cannot be stored stops everything before sending', async () => {
    let dir = '';
    const files = failingFiles({ failWrites: 'ENOSPC', armed: true, after: 4, times: 10 });
    h = await startHarness({ elicit: accept, sim: { accounts: [FLEET] }, server: { files } });
    dir = h.pskDir;
    const result = await rotate({ ipsec_tunnel_ids: IDS.slice(0, 5) });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/could not be stored before sending \(ENOSPC\).*Nothing was sent/);
    expect(sets()).toBe(0);
    expect(await h.pskFiles()).toEqual([]);
    expect(dir).not.toBe('');
  });
});

describe('rotate_ipsec_psks: the two-step token', () => {
  it('confirms exactly the tunnels asked about, once', async () => {
    await fleet({ elicit: undefined });
    const ids = IDS.slice(0, 3);
    const asked = await rotate({ ipsec_tunnel_ids: ids });
    expect(output(asked)).toMatchObject({ status: 'confirmation_required', confirm_via: 'token' });
    const token = output(asked).confirmation_token;
    expect(sets()).toBe(0);

    const other = await rotate({ ipsec_tunnel_ids: IDS.slice(0, 4), confirmation_token: token });
    expect(other.isError).toBe(true);
    expect(textOf(other)).toMatch(/different account or set of tunnels/);

    const again = await rotate({ ipsec_tunnel_ids: ids });
    const reordered = [...ids].reverse();
    const done = await rotate({
      ipsec_tunnel_ids: reordered,
      confirmation_token: output(again).confirmation_token,
    });
    expect(output(done)).toMatchObject({ status: 'completed', applied: 3 });
    expect(sets()).toBe(1);
    await expectTruthfulReport(done);
  });
});
