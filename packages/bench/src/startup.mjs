// Figure 2: spawn → initialize → tools/list of the built binary, against a minimal one-tool server on the same SDK,
// spawned alike and interleaved, so both see the same machine. Figure 4: each one's memory after real work (a
// rotation for ours, a call for the minimal one).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_TUNNEL_ID, startSimulator } from '@ipsec-psk/cloudflare-sim';
import { connect, connectOurs, MINIMAL_SERVER, rssMb, TOKEN } from './servers.mjs';
import { median } from './stats.mjs';

async function ours(sim, pskDir) {
  return connectOurs({
    sim,
    pskDir,
    capabilities: { elicitation: { form: {} } },
    onElicit: async () => ({ action: 'accept', content: { confirm: true } }),
  });
}

const minimal = () => connect({ script: MINIMAL_SERVER });

async function startupMs(start) {
  const server = await start();
  try {
    await server.client.listTools();
    return performance.now() - server.startedAt;
  } finally {
    await server.close();
  }
}

export async function measureStartup({ runs, log }) {
  const sim = await startSimulator({ apiTokens: [TOKEN] });
  const pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-bench-'));
  try {
    // One untimed start of each, so the file cache is warm for both alike.
    await startupMs(() => ours(sim, pskDir));
    await startupMs(minimal);
    const samples = [];
    for (let run = 0; run < runs; run++) {
      const pair = run % 2 === 0 ? ['ours', 'minimal'] : ['minimal', 'ours'];
      const sample = {};
      for (const kind of pair)
        sample[kind] = await startupMs(kind === 'ours' ? () => ours(sim, pskDir) : minimal);
      samples.push(sample);
    }
    const startup = {
      oursMs: samples.map((s) => s.ours),
      minimalMs: samples.map((s) => s.minimal),
      ratio: samples.map((s) => s.ours / s.minimal),
    };
    log(
      `  start-up: ours ${median(startup.oursMs).toFixed(0)} ms, minimal ${median(startup.minimalMs).toFixed(0)} ms`,
    );

    const ourServer = await ours(sim, pskDir);
    const rotated = await ourServer.client.callTool({
      name: 'generate_ipsec_psk',
      arguments: { ipsec_tunnel_id: DEMO_TUNNEL_ID },
    });
    if (rotated.structuredContent?.status !== 'generated')
      throw new Error('the rotation for figure 4 failed');
    const minimalServer = await minimal();
    await minimalServer.client.callTool({ name: 'echo', arguments: { text: 'hello' } });
    const memory = { oursMb: await rssMb(ourServer.pid), minimalMb: await rssMb(minimalServer.pid) };
    await ourServer.close();
    await minimalServer.close();
    log(
      `  memory: ours ${memory.oursMb.toFixed(0)} MB after a rotation, minimal ${memory.minimalMb.toFixed(0)} MB`,
    );
    return { startup, memory };
  } finally {
    await sim.close();
    await rm(pskDir, { recursive: true, force: true });
  }
}
