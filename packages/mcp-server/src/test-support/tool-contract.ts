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
 * Inspector): one tool for the model, generate_ipsec_psk, destructive, with its four inputs and the panel linked;
 * the panel's tools marked app-only.
 */
export function expectToolContract(tools: ListedTool[]): void {
  const forModel = tools.filter(
    (tool) => !tool._meta?.ui?.visibility || tool._meta.ui.visibility.includes('model'),
  );
  expect(forModel.map((tool) => tool.name)).toEqual(['generate_ipsec_psk']);
  const [tool] = forModel;
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
  expect(appOnly.map((listed) => listed.name).sort()).toEqual(APP_ONLY_TOOLS);
  for (const listed of appOnly) expect(listed._meta?.ui?.visibility).toEqual(['app']);
}
