// Figure 1: what a user waits for around a rotation. For each confirmation channel, the API round trips (and the
// wall time, with the API stand-in answering 150 ms after each request) before the question reaches the user, and
// after the user agrees until the key is stored and the answer is back.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_TUNNEL_ID, startSimulator } from '@ipsec-psk/cloudflare-sim';
import { connectOurs, TOKEN } from './servers.mjs';
import { medians } from './stats.mjs';

export const LATENCY_MS = 150;
const PANEL_SECRET_META = 'io.github.ipsec-psk/panel-secret';
const UI = { extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } } };
const rotate = { name: 'generate_ipsec_psk', arguments: { ipsec_tunnel_id: DEMO_TUNNEL_ID } };

/** Requests sent together arrive together: one round trip is a group arriving within half a latency. */
export function roundTrips(requests) {
  let trips = 0;
  let groupStart = Number.NEGATIVE_INFINITY;
  for (const { receivedAt } of [...requests].sort((a, b) => a.receivedAt - b.receivedAt)) {
    if (receivedAt - groupStart > LATENCY_MS / 2) {
      trips += 1;
      groupStart = receivedAt;
    }
  }
  return trips;
}

// Each channel's steps: returns the request index and time when the question was shown, and when consent began.
const CHANNELS = {
  form: {
    capabilities: { elicitation: { form: {} } },
    async run(client, marks) {
      marks.onElicit = () => marks.mark('asked');
      await client.callTool(rotate, undefined, { timeout: 60_000 });
    },
  },
  token: {
    capabilities: {},
    async run(client, marks) {
      const first = await client.callTool(rotate);
      marks.mark('asked');
      const token = first.structuredContent.confirmation_token;
      await client.callTool({ ...rotate, arguments: { ...rotate.arguments, confirmation_token: token } });
    },
  },
  app: {
    capabilities: UI,
    async run(client, marks) {
      const first = await client.callTool(rotate);
      const id = first.structuredContent.confirmation_id;
      // The View alone gets the secret that opens the confirmation, in the result's _meta.
      const opened = await client.callTool({
        name: 'ipsec_psk_panel_open',
        arguments: { confirmation_id: id, panel_secret: first._meta?.[PANEL_SECRET_META] },
      });
      marks.mark('asked');
      const nonce = opened.structuredContent.nonce;
      await client.callTool({
        name: 'ipsec_psk_panel_answer',
        arguments: { confirmation_id: id, nonce, decision: 'rotate' },
      });
    },
  },
};

async function once(channel, sim) {
  const pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-bench-'));
  const marks = {
    points: {},
    onElicit: undefined,
    mark(name) {
      this.points[name] = { at: performance.now(), requests: sim.requests.length };
    },
  };
  const server = await connectOurs({
    sim,
    pskDir,
    capabilities: CHANNELS[channel].capabilities,
    onElicit: async () => {
      marks.onElicit?.();
      return { action: 'accept', content: { confirm: true } };
    },
  });
  try {
    const first = sim.requests.length;
    marks.mark('start');
    await CHANNELS[channel].run(server.client, marks);
    marks.mark('done');
    const { start, asked, done } = marks.points;
    const before = sim.requests.slice(first, asked.requests);
    const after = sim.requests.slice(asked.requests, done.requests);
    if (!after.some((request) => request.persisted)) throw new Error(`${channel}: nothing was rotated`);
    return {
      beforeTrips: roundTrips(before),
      beforeRequests: before.length,
      beforeMs: asked.at - start.at,
      afterTrips: roundTrips(after),
      afterRequests: after.length,
      afterMs: done.at - asked.at,
    };
  } finally {
    await server.close();
    await rm(pskDir, { recursive: true, force: true });
  }
}

export async function measureRoundTrips({ runs, log }) {
  const sim = await startSimulator({ apiTokens: [TOKEN], latencyMs: LATENCY_MS });
  const results = {};
  try {
    for (const channel of Object.keys(CHANNELS)) {
      const samples = [];
      for (let run = 0; run < runs; run++) samples.push(await once(channel, sim));
      results[channel] = medians(samples);
      const r = results[channel];
      log(
        `  ${channel}: before the question ${r.beforeTrips} round trip(s), ${r.beforeMs.toFixed(0)} ms; ` +
          `after consent ${r.afterTrips} round trip(s), ${r.afterMs.toFixed(0)} ms`,
      );
    }
  } finally {
    await sim.close();
  }
  return results;
}
