import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, startSimulator } from '@ipsec-psk/cloudflare-sim';
import { createPskClient } from '@ipsec-psk/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { describe, expect, it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };

// Issue 9: the package as it ships. The binary is a bundle with nothing to install; the library is a bundle that
// uses the embedding program's own MCP SDK, core client and rotation engine (optional peers), and works with them.

describe('#9 the package as shipped', () => {
  it('declares no runtime dependencies: npx installs the package alone', () => {
    expect(packageJson).not.toHaveProperty('dependencies');
    expect(Object.keys(packageJson.peerDependencies).sort()).toEqual([
      '@ipsec-psk/core',
      '@ipsec-psk/rotation',
      '@modelcontextprotocol/server',
    ]);
    for (const peer of Object.values(packageJson.peerDependenciesMeta))
      expect(peer).toEqual({ optional: true });
  });

  it('the built library serves the tool through the caller’s own SDK and core client', async () => {
    const library = (await import(
      new URL('../dist/index.js', import.meta.url).href
    )) as typeof import('./index.js');
    const sim = await startSimulator({ apiTokens: ['SENTINEL-package-token'] });
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-library-'));
    try {
      const { server } = library.createServer({
        client: createPskClient({ apiToken: 'SENTINEL-package-token', baseUrl: sim.url }),
        pskDir,
        defaultAccountId: DEMO_ACCOUNT_ID,
      });
      const client = new Client({ name: 'embedder', version: '1.0.0' });
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('generate_ipsec_psk');
      const result = await client.callTool({
        name: 'generate_ipsec_psk',
        arguments: { ipsec_tunnel_id: DEMO_TUNNEL_ID, validate_only: true },
      });
      expect(result.structuredContent).toMatchObject({ status: 'validated' });
      // A refusal from the caller's core client is still recognised as one (not an unexpected error).
      const refused = await client.callTool({
        name: 'generate_ipsec_psk',
        arguments: { ipsec_tunnel_id: 'ffffffffffffffffffffffffffffffff', validate_only: true },
      });
      expect(JSON.stringify(refused.content)).toMatch(/Validation failed.*HTTP 404/);
      await client.close();
    } finally {
      await sim.close();
      await rm(pskDir, { recursive: true, force: true });
    }
  });
});
