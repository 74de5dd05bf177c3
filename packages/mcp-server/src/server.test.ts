import { readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2 } from '@ipsec-psk/cloudflare-sim';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_TOOLS } from './app-tool-names.js';
import {
  accept,
  type ElicitAnswer,
  type Harness,
  panelSecretOf,
  startHarness,
  TOKEN,
  textOf,
} from './test-support/harness.js';
import { expectToolContract, type ListedTool } from './test-support/tool-contract.js';

let h: Harness;
afterEach(async () => {
  expect(h.sim.specViolations).toEqual([]);
  await h.close();
});

const persisting = () => h.sim.count({ operation: 'psk_generate', validateOnly: false });
const validations = () => h.sim.count({ operation: 'psk_generate', validateOnly: true });
const tunnelPsk = (tunnel = DEMO_TUNNEL_ID) => h.sim.tunnel(DEMO_ACCOUNT_ID, tunnel)?.psk;

describe('tools/list', () => {
  it('five tools for the model (the rotations linked to the panel); no panel tools without MCP Apps', async () => {
    h = await startHarness();
    const { tools } = await h.client.listTools();
    expectToolContract(tools as ListedTool[]);
  });

  it('a client that declared MCP Apps also sees the panel’s tools, marked app-only', async () => {
    h = await startHarness({ ui: true });
    const { tools } = await h.client.listTools();
    expectToolContract(tools as ListedTool[], { apps: true });
  });

  it('a client without MCP Apps that calls a panel tool anyway is refused, and nothing is opened', async () => {
    h = await startHarness();
    const asked = await startHarness({ ui: true, server: { pskDir: h.pskDir } });
    try {
      const result = await asked.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
      const secret = panelSecretOf(result);
      const id = (result.structuredContent as { confirmation_id: string }).confirmation_id;
      const refused = await h.callTool(APP_TOOLS.open, { confirmation_id: id, panel_secret: secret });
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toMatch(/declared no MCP Apps support/);
      // Untouched: the panel that was shown can still open it.
      const opened = await asked.callTool(APP_TOOLS.open, { confirmation_id: id, panel_secret: secret });
      expect(opened.isError).toBeFalsy();
    } finally {
      await asked.close();
    }
  });
});

describe('validate_only', () => {
  it('makes one validate-only request, never asks, never stores, never returns a key', async () => {
    h = await startHarness({ elicit: accept });
    const result = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID, validate_only: true });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      status: 'validated',
      account_id: DEMO_ACCOUNT_ID,
      ipsec_tunnel_id: DEMO_TUNNEL_ID,
      sandbox: false,
    });
    expect(result.structuredContent).not.toHaveProperty('psk');
    expect(validations()).toBe(1);
    expect(persisting()).toBe(0);
    expect(h.elicitations).toEqual([]);
    expect(await h.pskFiles()).toEqual([]);
  });

  it('reports a Cloudflare refusal as a tool error', async () => {
    h = await startHarness();
    const result = await h.call({ ipsec_tunnel_id: 'ffffffffffffffffffffffffffffffff', validate_only: true });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/Validation failed.*HTTP 404/);
  });
});

describe('form elicitation', () => {
  it('accepted: exactly one persisting request, a 0600 file with the key, no key in the result', async () => {
    h = await startHarness({ elicit: accept });
    const result = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
    expect(result.isError).toBeFalsy();
    const output = result.structuredContent as Record<string, string>;
    expect(output.status).toBe('generated');
    expect(persisting()).toBe(1);
    expect(validations()).toBe(1);
    const key = tunnelPsk();
    expect(key).toBeDefined();
    expect(await readFile(output.psk_file as string, 'utf8')).toBe(key);
    expect((await stat(output.psk_file as string)).mode & 0o777).toBe(0o600);
    expect(output.psk_fingerprint).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(JSON.stringify(result)).not.toContain(key);
    expect(h.elicitations).toHaveLength(1);
    expect(h.elicitations[0]).toMatch(/stops working.*name: "demo_tunnel_01"/s);
  });

  it('asks with the account, the tunnel name and its last rotation', async () => {
    h = await startHarness({ elicit: () => ({ action: 'decline' }) });
    await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID_2 });
    expect(h.elicitations[0]).toContain(DEMO_ACCOUNT_ID);
    expect(h.elicitations[0]).toContain(DEMO_TUNNEL_ID_2);
    expect(h.elicitations[0]).toMatch(/key last generated: \d{4}-\d\d-\d\dT/);
  });

  it.each([
    ['declined', (() => ({ action: 'decline' })) as ElicitAnswer],
    ['cancelled', (() => ({ action: 'cancel' })) as ElicitAnswer],
    ['declined', (() => ({ action: 'accept', content: { confirm: false } })) as ElicitAnswer],
  ])('%s: nothing persisted, nothing stored', async (status, answer) => {
    h = await startHarness({ elicit: answer });
    const result = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
    expect(result.structuredContent).toMatchObject({ status });
    expect(persisting()).toBe(0);
    expect(await h.pskFiles()).toEqual([]);
    expect(h.sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.rotations).toBe(0);
  });

  it('a failed validation asks nobody and sends nothing', async () => {
    h = await startHarness({ elicit: accept });
    h.sim.inject({ type: 'status', status: 403, match: { validateOnly: true } });
    const result = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
    expect(result.isError).toBe(true);
    expect(h.elicitations).toEqual([]);
    expect(persisting()).toBe(0);
  });

  it('IPSEC_PSK_REVEAL=1 puts the key in the result too', async () => {
    h = await startHarness({ elicit: accept, server: { reveal: true } });
    const result = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
    expect((result.structuredContent as Record<string, string>).psk).toBe(tunnelPsk());
  });

  it('confirm mode token uses the two-step flow even with an eliciting client', async () => {
    h = await startHarness({ elicit: accept, server: { confirmMode: 'token' } });
    const result = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
    expect(result.structuredContent).toMatchObject({ status: 'confirmation_required' });
    expect(h.elicitations).toEqual([]);
  });
});

describe('two-step flow (client without elicitation)', () => {
  async function firstStep(tunnel = DEMO_TUNNEL_ID) {
    const result = await h.call({ ipsec_tunnel_id: tunnel });
    expect(result.isError).toBeFalsy();
    const output = result.structuredContent as Record<string, string>;
    expect(output.status).toBe('confirmation_required');
    expect(output.confirmation_token).toMatch(/^psk-confirm-/);
    expect(Date.parse(output.expires_at as string)).toBeGreaterThan(Date.now());
    expect(textOf(result)).toMatch(/Show the user.*explicit agreement/s);
    expect(persisting()).toBe(0);
    return output.confirmation_token as string;
  }

  it('confirmation_required, then the token generates once; a reused token is refused', async () => {
    h = await startHarness();
    const token = await firstStep();
    const second = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID, confirmation_token: token });
    expect(second.structuredContent).toMatchObject({ status: 'generated' });
    expect(persisting()).toBe(1);
    const again = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID, confirmation_token: token });
    expect(again.isError).toBe(true);
    expect(textOf(again)).toMatch(/not one this server issued, or was already used/);
    expect(persisting()).toBe(1);
  });

  it('refuses a token for another tunnel, and spends it', async () => {
    h = await startHarness();
    const token = await firstStep(DEMO_TUNNEL_ID);
    const wrong = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID_2, confirmation_token: token });
    expect(wrong.isError).toBe(true);
    expect(textOf(wrong)).toMatch(/different account or tunnel/);
    const right = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID, confirmation_token: token });
    expect(right.isError).toBe(true);
    expect(persisting()).toBe(0);
  });

  it('refuses an invented token', async () => {
    h = await startHarness();
    const result = await h.call({
      ipsec_tunnel_id: DEMO_TUNNEL_ID,
      confirmation_token: 'psk-confirm-made-up',
    });
    expect(result.isError).toBe(true);
    expect(persisting()).toBe(0);
  });

  it('refuses an expired token', async () => {
    let now = Date.parse('2026-11-27T10:00:00Z');
    h = await startHarness({ server: { now: () => new Date(now), confirmationTtlMs: 60_000 } });
    const result = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
    const token = (result.structuredContent as Record<string, string>).confirmation_token as string;
    now += 61_000;
    const late = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID, confirmation_token: token });
    expect(late.isError).toBe(true);
    expect(textOf(late)).toMatch(/expired/);
    expect(persisting()).toBe(0);
  });

  it('confirm mode elicit with a client that cannot elicit is a tool error, nothing sent', async () => {
    h = await startHarness({ server: { confirmMode: 'elicit' } });
    const result = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/IPSEC_PSK_CONFIRM=elicit/);
    expect(persisting()).toBe(0);
  });
});

describe('input validation', () => {
  it.each([
    [{ ipsec_tunnel_id: 'a'.repeat(33) }, 'ipsec_tunnel_id'],
    [{ ipsec_tunnel_id: 'a/b' }, 'ipsec_tunnel_id'],
    [{ ipsec_tunnel_id: '..' }, 'ipsec_tunnel_id'],
    [{ ipsec_tunnel_id: DEMO_TUNNEL_ID, account_id: 'x?y' }, 'account_id'],
    [{ ipsec_tunnel_id: DEMO_TUNNEL_ID, account_id: '' }, 'account_id'],
    [{}, 'ipsec_tunnel_id'],
    [{ ipsec_tunnel_id: DEMO_TUNNEL_ID, validate_only: 'yes' }, 'validate_only'],
  ])('%o → a tool error naming %s, no request', async (args, field) => {
    h = await startHarness({ elicit: accept });
    const result = await h.call(args);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(field);
    expect(h.sim.requests).toHaveLength(0);
  });

  it('without account_id and without a default account: a tool error saying what to do', async () => {
    h = await startHarness({ server: { defaultAccountId: undefined } });
    const result = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/account_id is required.*CLOUDFLARE_ACCOUNT_ID/);
    expect(h.sim.requests).toHaveLength(0);
  });
});

describe('outcome unknown', () => {
  it('reset after Cloudflare persisted: checks back and says the key was replaced', async () => {
    h = await startHarness({ elicit: accept });
    h.sim.inject({ type: 'reset', match: { operation: 'psk_generate', validateOnly: false } });
    const result = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID_2 });
    expect(result.structuredContent).toMatchObject({
      status: 'outcome_unknown',
      rotated: 'yes',
      recovery: {
        tool: 'rotate_ipsec_psks',
        arguments: { account_id: DEMO_ACCOUNT_ID, ipsec_tunnel_ids: [DEMO_TUNNEL_ID_2] },
      },
    });
    expect(textOf(result)).toMatch(
      /WAS replaced.*safe way back is rotate_ipsec_psks.*Do not call generate_ipsec_psk/s,
    );
    expect(persisting()).toBe(1);
    expect(await h.pskFiles()).toEqual([]);

    // The way back: one more confirmation, then a key made and stored here is set; no second psk_generate.
    const recovery = (result.structuredContent as { recovery: { tool: string; arguments: object } }).recovery;
    const back = await h.callTool(recovery.tool, recovery.arguments as Record<string, unknown>);
    expect(back.structuredContent).toMatchObject({ status: 'completed', applied: 1 });
    expect(h.elicitations).toHaveLength(2);
    expect(persisting()).toBe(1);
    const [file] = await h.pskFiles();
    expect(await readFile(file ?? '', 'utf8')).toBe(h.sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID_2)?.psk);
  });

  it('a 500 that did not persist: checks back and says the old key still works', async () => {
    h = await startHarness({ elicit: accept });
    h.sim.inject({ type: 'status', status: 500, match: { operation: 'psk_generate', validateOnly: false } });
    const result = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID_2 });
    expect(result.structuredContent).toMatchObject({ status: 'outcome_unknown', rotated: 'no' });
    expect(textOf(result)).toMatch(/NOT replaced.*old key still works/s);
    expect(persisting()).toBe(1);
  });

  it.each([
    ['a truncated body', { type: 'truncate' } as const],
    ['a 200 without psk', { type: 'omit-psk' } as const],
  ])('%s: never retried', async (_name, fault) => {
    h = await startHarness({ elicit: accept });
    h.sim.inject({ ...fault, match: { operation: 'psk_generate', validateOnly: false } });
    const result = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID_2 });
    expect(result.structuredContent).toMatchObject({ status: 'outcome_unknown', rotated: 'yes' });
    expect(persisting()).toBe(1);
  });

  it('when the tunnel cannot be read before or after, says it cannot tell', async () => {
    h = await startHarness({ elicit: accept });
    h.sim.inject({ type: 'reset', match: { operation: 'psk_generate', validateOnly: false } });
    h.sim.inject({ type: 'status', status: 404, match: { operation: 'get_tunnel' }, times: 2 });
    const result = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID_2 });
    expect(result.structuredContent).toMatchObject({ status: 'outcome_unknown', rotated: 'unknown' });
    expect(textOf(result)).toMatch(/could not tell/);
    expect(persisting()).toBe(1);
  });
});

describe('one rotation per tunnel at a time', () => {
  it('a second call for the same tunnel while one is in flight is refused, not sent', async () => {
    h = await startHarness({ elicit: accept });
    h.sim.inject({ type: 'delay', ms: 500, match: { operation: 'psk_generate', validateOnly: false } });
    const [a, b] = await Promise.all([
      h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID }),
      h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID }),
    ]);
    const statuses = [a, b].map((r) =>
      r.isError ? 'in_progress' : (r.structuredContent as { status: string }).status,
    );
    expect(statuses.sort()).toEqual(['generated', 'in_progress']);
    expect(textOf(a.isError ? a : b)).toMatch(/already in progress/);
    expect(persisting()).toBe(1);
    expect(h.sim.tunnel(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID)?.rotations).toBe(1);
  });

  it('different tunnels rotate side by side', async () => {
    h = await startHarness({ elicit: accept });
    const results = await Promise.all([
      h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID }),
      h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID_2 }),
    ]);
    expect(results.map((r) => (r.structuredContent as { status: string }).status)).toEqual([
      'generated',
      'generated',
    ]);
    expect(await h.pskFiles()).toHaveLength(2);
  });
});

describe('key storage and audit', () => {
  it('an unwritable key directory stops the rotation before anything is sent', async () => {
    const notADirectory = join(tmpdir(), `ipsec-psk-not-a-dir-${process.pid}`);
    await writeFile(notADirectory, '');
    h = await startHarness({ elicit: accept, server: { pskDir: notADirectory } });
    const result = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/key directory cannot be used.*Nothing was sent/s);
    expect(persisting()).toBe(0);
  });

  it('audits every attempt and outcome without any secret', async () => {
    h = await startHarness();
    await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID, validate_only: true });
    const first = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
    const token = (first.structuredContent as Record<string, string>).confirmation_token as string;
    const second = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID, confirmation_token: token });
    expect((second.structuredContent as Record<string, string>).status).toBe('generated');
    const lines = await h.auditLines();
    expect(lines.map((l) => l.event)).toEqual([
      'validated',
      'confirmation_requested',
      'rotation_attempt',
      'generated',
    ]);
    expect(lines[3]).toMatchObject({
      account_id: DEMO_ACCOUNT_ID,
      ipsec_tunnel_id: DEMO_TUNNEL_ID,
      sandbox: false,
    });
    const text = JSON.stringify(lines);
    expect(text).not.toContain(token);
    expect(text).not.toContain(tunnelPsk());
    expect(text).not.toContain(TOKEN);
    expect((await stat(join(h.pskDir, 'audit.jsonl'))).mode & 0o777).toBe(0o600);
  });

  it('keys of successive rotations are kept in separate files', async () => {
    h = await startHarness({ elicit: accept });
    await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
    await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
    const files = await h.pskFiles();
    expect(files).toHaveLength(2);
    expect(await readFile(files.sort()[1] as string, 'utf8')).not.toBe(
      await readFile(files[0] as string, 'utf8'),
    );
  });
});

describe('sandbox labelling', () => {
  it('every result and the instructions say sandbox', async () => {
    h = await startHarness({ elicit: accept, server: { sandbox: true } });
    expect(h.client.getInstructions()).toMatch(/SANDBOX/);
    const validated = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID, validate_only: true });
    const generated = await h.call({ ipsec_tunnel_id: DEMO_TUNNEL_ID });
    for (const result of [validated, generated]) {
      expect(result.structuredContent).toMatchObject({ sandbox: true });
      expect(textOf(result)).toMatch(/^\[sandbox\]/);
    }
    expect(h.elicitations[0]).toMatch(/^\[sandbox\]/);
  });
});
