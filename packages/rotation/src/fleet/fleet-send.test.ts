import * as fsPromises from 'node:fs/promises';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { DEMO_ACCOUNT_ID, manyTunnels, type Simulator, startSimulator } from '@ipsec-psk/cloudflare-sim';
import { createPskClient } from '@ipsec-psk/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEngine, type RotationEngine } from '../engine.js';
import type { Confirmer } from '../types.js';
import { BATCH_SIZE, SEND_CONCURRENCY } from './fleet-send.js';

// Issue 20: a fleet's locks, key files and Set PSKs requests in parallel, and the rule unchanged: every key on disk,
// synced, with its attempt line, before the request that carries it leaves; a refusal stops what is not yet sent.

const TOKEN = 'SENTINELfleetSendToken7u8i9o';
const SET_PSKS = /\/accounts\/[^/]+\/magic\/ipsec_tunnels\/psk$/;
const accept: Confirmer = { canAsk: true, canShowApp: false, ask: async () => 'accept' };

let sim: Simulator;
let pskDir: string;
beforeEach(async () => {
  sim = await startSimulator({ apiTokens: [TOKEN], accounts: [manyTunnels(1000)] });
  pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-fleet-send-'));
});
afterEach(async () => {
  expect(sim.specViolations).toEqual([]);
  await sim.close();
  await rm(pskDir, { recursive: true, force: true });
});

const ids = () => manyTunnels(1000).tunnels.map((tunnel) => tunnel.id);

/** A persisting Set PSKs request's keys, by tunnel id; undefined for any other request. */
async function persistingKeys(request: Request): Promise<Map<string, string> | undefined> {
  const url = new URL(request.url);
  if (request.method !== 'POST' || !SET_PSKS.test(url.pathname) || url.searchParams.get('validate_only')) {
    return undefined;
  }
  const body = (await request.clone().json()) as { psks: { id: string; psk: string }[] };
  return new Map(body.psks.map((entry) => [entry.id, entry.psk]));
}

function engine(fetch: typeof globalThis.fetch): RotationEngine {
  return createEngine({
    client: createPskClient({ apiToken: TOKEN, baseUrl: sim.url, fetch, retry: { baseDelayMs: 1 } }),
    pskDir,
    defaultAccountId: DEMO_ACCOUNT_ID,
  });
}

async function auditLines(): Promise<Record<string, string>[]> {
  return (await readFile(join(pskDir, 'audit.jsonl'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

describe('a fleet of 1000 in parallel', { timeout: 60_000 }, () => {
  it('every key is in its file and its attempt line on disk before the request that carries it', async () => {
    const problems: string[] = [];
    const fetch: typeof globalThis.fetch = async (input, init) => {
      const request = new Request(input, init);
      const keys = await persistingKeys(request);
      if (keys) {
        const attempts = new Set(
          (await auditLines()).filter((l) => l.event === 'rotation_attempt').map((l) => l.ipsec_tunnel_id),
        );
        for (const [id, psk] of keys) {
          const dir = join(pskDir, DEMO_ACCOUNT_ID, id);
          const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.psk'));
          const held = await Promise.all(files.map((file) => readFile(join(dir, file), 'utf8')));
          if (!held.includes(psk)) problems.push(`${id}: key not on disk before its request`);
          if (!attempts.has(id)) problems.push(`${id}: no attempt line before its request`);
        }
      }
      return globalThis.fetch(request);
    };
    const answer = await engine(fetch).fleet.run({ ipsec_tunnel_ids: ids() }, accept);
    expect(problems).toEqual([]);
    expect(answer).toMatchObject({ output: { status: 'completed', applied: 1000 } });
    // One list, ten validations, ten sets: nothing read twice.
    expect(sim.count({ operation: 'list_tunnels' })).toBe(1);
    expect(sim.count({ operation: 'set_psks', validateOnly: true })).toBe(10);
    expect(sim.count({ operation: 'set_psks', validateOnly: false })).toBe(10);
  });

  it('a refused request stops every batch not yet sent; nothing is unknown, nothing left unrecorded', async () => {
    let persisting = 0;
    const fetch: typeof globalThis.fetch = async (input, init) => {
      const request = new Request(input, init);
      if ((await persistingKeys(request)) && ++persisting === 3) {
        const body = {
          success: false,
          errors: [{ code: 10000, message: 'Authentication error' }],
          messages: [],
        };
        return new Response(JSON.stringify(body), {
          status: 403,
          headers: { 'content-type': 'application/json' },
        });
      }
      return globalThis.fetch(request);
    };
    const answer = await engine(fetch).fleet.run({ ipsec_tunnel_ids: ids() }, accept);
    if (!('output' in answer)) throw new Error(JSON.stringify(answer));
    const results = answer.output.tunnels.map((tunnel) => tunnel.result);
    expect(results.filter((r) => r === 'unknown')).toEqual([]);
    const applied = results.filter((r) => r === 'applied').length;
    // What was already on the wire finishes; nothing is sent after the refusal came back.
    expect(persisting).toBeLessThanOrEqual(3 + SEND_CONCURRENCY - 1);
    expect(applied).toBe((persisting - 1) * BATCH_SIZE);
    expect(results.filter((r) => r === 'not_sent')).toHaveLength(1000 - applied);
    for (const tunnel of answer.output.tunnels) {
      if (tunnel.result === 'not_sent' && tunnel.psk_file) expect(tunnel.psk_file).toMatch(/\.not-applied$/);
    }
    const lines = await auditLines();
    const ended = new Set(lines.filter((l) => l.event !== 'rotation_attempt').map((l) => l.attempt_id));
    const open = lines.filter((l) => l.event === 'rotation_attempt' && !ended.has(l.attempt_id));
    expect(open).toEqual([]);
  });

  it('keeps inside Cloudflare’s rate limit by what its answers say is left: a wait, not a 429', async () => {
    await sim.close();
    sim = await startSimulator({
      apiTokens: [TOKEN],
      accounts: [manyTunnels(1000)],
      rateLimit: { limit: 20, windowMs: 1_500 },
    });
    const answer = await engine(globalThis.fetch).fleet.run({ ipsec_tunnel_ids: ids() }, accept);
    expect(answer).toMatchObject({ output: { status: 'completed', applied: 1000 } });
    expect(sim.requests.filter((request) => request.status === 429)).toEqual([]);
    expect(sim.count({ operation: 'set_psks', validateOnly: false })).toBe(10);
  });

  it('makes or checks each tunnel’s folder once, when its lock is taken, not again to write its key', async () => {
    const made: string[] = [];
    const files = {
      ...fsPromises,
      mkdir: (async (path: string, options?: object) => {
        made.push(path);
        return fsPromises.mkdir(path, options);
      }) as typeof fsPromises.mkdir,
    };
    const rotation = createEngine({
      client: createPskClient({ apiToken: TOKEN, baseUrl: sim.url }),
      pskDir,
      defaultAccountId: DEMO_ACCOUNT_ID,
      files,
    });
    const answer = await rotation.fleet.run({ ipsec_tunnel_ids: ids() }, accept);
    expect(answer).toMatchObject({ output: { status: 'completed', applied: 1000 } });
    const wanted = new Set(ids());
    const tunnelFolders = made.filter((path) => wanted.has(basename(path)));
    expect(tunnelFolders).toHaveLength(1000);
    expect(new Set(tunnelFolders).size).toBe(1000);
  });
});
