import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2 } from '@ipsec-psk/cloudflare-sim';
import { afterEach, describe, expect, it } from 'vitest';
import { requiredScope } from './http/scopes.js';
import { type Harness, startHarness, textOf } from './test-support/harness.js';

// check_ipsec_tunnel_health through MCP: Cloudflare's view per tunnel, read-only (a validate-only token may ask),
// names neutralised, an unknown tunnel an answer rather than an error, a refusal named.

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('check_ipsec_tunnel_health', () => {
  it('answers up or DOWN per tunnel, and unknown for one that cannot be read', async () => {
    h = await startHarness();
    h.sim.setTunnelState(DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID_2, 0);
    const missing = 'e'.repeat(32);
    const result = await h.callTool('check_ipsec_tunnel_health', {
      ipsec_tunnel_ids: [DEMO_TUNNEL_ID, DEMO_TUNNEL_ID_2, missing],
    });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      account_id: DEMO_ACCOUNT_ID,
      tunnels: [
        { ipsec_tunnel_id: DEMO_TUNNEL_ID, tunnel_name: 'demo_tunnel_01', health: { state: 'up', colos: 3 } },
        { ipsec_tunnel_id: DEMO_TUNNEL_ID_2, health: { state: 'down' } },
        { ipsec_tunnel_id: missing, health: { state: 'unknown', detail: expect.stringMatching(/HTTP 404/) } },
      ],
    });
    expect(textOf(result)).toContain(`- ${DEMO_TUNNEL_ID_2}: DOWN`);
    // Read-only: nothing was rotated or validated.
    expect(h.sim.count({ operation: 'psk_generate' }) + h.sim.count({ operation: 'set_psks' })).toBe(0);
  });

  it('a bad id is refused before any request, naming the field', async () => {
    h = await startHarness();
    const result = await h.callTool('check_ipsec_tunnel_health', { ipsec_tunnel_ids: ['../other/path'] });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/each of ipsec_tunnel_ids must be/);
    expect(h.sim.requests).toHaveLength(0);
  });

  it('needs only psk:validate over HTTP, like listing', () => {
    const call = (name: string) => ({ method: 'tools/call', params: { name, arguments: {} } });
    expect(requiredScope(call('check_ipsec_tunnel_health'))).toBe('psk:validate');
    expect(requiredScope(call('restore_ipsec_psk'))).toBe('psk:rotate');
  });
});
