import { expect } from 'vitest';

/** A tool as `tools/list` describes it, in the parts the contract checks. */
export interface ListedTool {
  name: string;
  description?: string;
  annotations?: Record<string, unknown>;
  inputSchema: { properties?: Record<string, unknown>; required?: string[] };
  outputSchema?: { properties?: Record<string, unknown> };
  _meta?: { ui?: { resourceUri?: string; visibility?: string[] } };
}

/** The panel's tools: listed by the server, but for the MCP App alone. */
export const APP_ONLY_TOOLS = ['ipsec_psk_panel_answer', 'ipsec_psk_panel_open', 'ipsec_psk_panel_reveal'];

/**
 * The tool-list contract every client sees, wherever it is listed from (in memory, over stdio, through the MCP
 * Inspector): five tools for the model: generate_ipsec_psk, destructive, with its four inputs and the panel
 * linked; rotate_ipsec_psks, destructive, for several tunnels; restore_ipsec_psk, destructive, the way back;
 * list_ipsec_tunnels and check_ipsec_tunnel_health, read-only. The panel's tools,
 * marked app-only, are listed only to clients that declared MCP Apps (`apps`).
 */
export function expectToolContract(tools: ListedTool[], { apps = false } = {}): void {
  const forModel = tools.filter(
    (tool) => !tool._meta?.ui?.visibility || tool._meta.ui.visibility.includes('model'),
  );
  expect(forModel.map((tool) => tool.name).sort()).toEqual([
    'check_ipsec_tunnel_health',
    'generate_ipsec_psk',
    'list_ipsec_tunnels',
    'restore_ipsec_psk',
    'rotate_ipsec_psks',
  ]);
  const restore = forModel.find((listed) => listed.name === 'restore_ipsec_psk');
  expect(restore?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
  expect(Object.keys(restore?.inputSchema.properties ?? {}).sort()).toEqual([
    'account_id',
    'confirmation_token',
    'ipsec_tunnel_id',
  ]);
  expect(restore?.inputSchema.required).toEqual(['ipsec_tunnel_id']);
  const health = forModel.find((listed) => listed.name === 'check_ipsec_tunnel_health');
  expect(health?.annotations).toMatchObject({ readOnlyHint: true });
  expect(health?.inputSchema.required).toEqual(['ipsec_tunnel_ids']);
  expect(health?.outputSchema?.properties).toHaveProperty('tunnels');
  const bulk = forModel.find((listed) => listed.name === 'rotate_ipsec_psks');
  expect(bulk?.annotations).toMatchObject({
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: false,
  });
  expect(Object.keys(bulk?.inputSchema.properties ?? {}).sort()).toEqual([
    'account_id',
    'confirmation_token',
    'ipsec_tunnel_ids',
    'validate_only',
  ]);
  expect(bulk?.inputSchema.required).toEqual(['ipsec_tunnel_ids']);
  expect(bulk?.outputSchema?.properties).toHaveProperty('tunnels');
  expect(bulk?._meta?.ui).toEqual({
    resourceUri: 'ui://ipsec-psk/rotation-panel.html',
    visibility: ['model'],
  });
  expect(forModel.find((listed) => listed.name === 'list_ipsec_tunnels')?.annotations).toMatchObject({
    readOnlyHint: true,
    destructiveHint: false,
  });
  const tool = forModel.find((listed) => listed.name === 'generate_ipsec_psk');
  expect(tool?.annotations).toMatchObject({
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: false,
    openWorldHint: true,
  });
  expect(Object.keys(tool?.inputSchema.properties ?? {}).sort()).toEqual([
    'account_id',
    'confirmation_token',
    'ipsec_tunnel_id',
    'validate_only',
  ]);
  expect(tool?.inputSchema.required).toEqual(['ipsec_tunnel_id']);
  expect(tool?.inputSchema.properties?.ipsec_tunnel_id).toMatchObject({ maxLength: 32, minLength: 1 });
  expect(tool?.outputSchema?.properties).toHaveProperty('status');
  expect(tool?.description).toMatch(/stops working/);
  expect(tool?._meta?.ui).toEqual({
    resourceUri: 'ui://ipsec-psk/rotation-panel.html',
    visibility: ['model'],
  });

  const appOnly = tools.filter((listed) => !forModel.includes(listed));
  expect(appOnly.map((listed) => listed.name).sort()).toEqual(apps ? APP_ONLY_TOOLS : []);
  for (const listed of appOnly) expect(listed._meta?.ui?.visibility).toEqual(['app']);
}
