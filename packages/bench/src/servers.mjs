// Starting servers the way an MCP host does: the SDK's Client over stdio, spawning `node <script>`.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_ACCOUNT_ID } from '@ipsec-psk/cloudflare-sim';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

// The binary exactly as `npx @ipsec-psk/mcp-server` runs it: the package's `bin`.
const manifest = createRequire(import.meta.url).resolve('@ipsec-psk/mcp-server/package.json');
export const OUR_SERVER = join(
  dirname(manifest),
  JSON.parse(await readFile(manifest, 'utf8')).bin['ipsec-psk-mcp'],
);
export const MINIMAL_SERVER = fileURLToPath(new URL('./fixtures/minimal-server.mjs', import.meta.url));

/**
 * Spawns `node script` and connects. `capabilities` is what the client declares; `onElicit`, if given,
 * answers confirmation forms. Returns the client, the server's pid and when the spawn began.
 */
export async function connect({ script, env = {}, capabilities = {}, onElicit }) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [script],
    env: { ...getDefaultEnvironment(), ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const client = new Client({ name: 'ipsec-psk-bench', version: '0.0.0' }, { capabilities });
  if (onElicit && capabilities.elicitation) client.setRequestHandler(ElicitRequestSchema, onElicit);
  const startedAt = performance.now();
  try {
    await client.connect(transport);
  } catch (error) {
    throw new Error(`${script} did not start: ${error.message}\n${stderr}`);
  }
  return { client, pid: transport.pid, startedAt, close: () => client.close() };
}

/** The API token the simulators of the benchmarks accept. */
export const TOKEN = 'bench-token';

/** Our binary against a simulator (started with `TOKEN`), keys in `pskDir`, as a host declaring `capabilities`. */
export function connectOurs({ sim, pskDir, capabilities, onElicit }) {
  return connect({
    script: OUR_SERVER,
    env: {
      CLOUDFLARE_API_TOKEN: TOKEN,
      CLOUDFLARE_BASE_URL: sim.url,
      CLOUDFLARE_ACCOUNT_ID: DEMO_ACCOUNT_ID,
      IPSEC_PSK_DIR: pskDir,
    },
    capabilities,
    onElicit,
  });
}

/** A process's resident memory in MB, from /proc (Linux). */
export async function rssMb(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return kb / 1024;
}
