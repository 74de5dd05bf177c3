import type { PanelFlow } from '@ipsec-psk/rotation';
import { registerAppTool } from '@modelcontextprotocol/ext-apps/server';
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { APP_TOOLS } from '../app-tool-names.js';
import { VIEW_URI } from '../view-resource.js';
import { refusedWithoutApps } from './app-only.js';
import { toolResult } from './tool-result.js';

const APP_ONLY = { ui: { resourceUri: VIEW_URI, visibility: ['app' as const] } };

const confirmationId = z
  .string()
  .min(1)
  .max(100)
  .describe('The confirmation_id of a confirmation_required result.');
const nonce = z.string().min(1).max(200).describe('What opening the confirmation handed the panel.');
const panelSecret = z
  .string()
  .min(1)
  .max(200)
  .describe('What the confirmation_required result gave the View alone (its _meta), never the model.');

/** Registers the panel's app-only tools. */
export function registerAppTools(server: McpServer, flow: PanelFlow): void {
  registerAppTool(
    server,
    APP_TOOLS.open,
    {
      title: 'Open a rotation confirmation (panel only)',
      description:
        'Used by the confirmation panel when it shows a question; hands the panel what lets it answer, and what ' +
        'the question is about: one tunnel (generate_ipsec_psk) or several (rotate_ipsec_psks).',
      inputSchema: z.object({ confirmation_id: confirmationId, panel_secret: panelSecret }),
      outputSchema: z.object({
        nonce: z.string(),
        account_id: z.string(),
        ipsec_tunnel_id: z.string().optional().describe('The tunnel, for one tunnel’s rotation.'),
        ipsec_tunnel_ids: z
          .array(z.string())
          .optional()
          .describe('The tunnels, in the order asked, for a bulk rotation (rotate_ipsec_psks).'),
      }),
      annotations: { readOnlyHint: true, openWorldHint: false },
      _meta: APP_ONLY,
    },
    async ({ confirmation_id, panel_secret }, ctx) =>
      refusedWithoutApps(server, ctx) ?? toolResult(await flow.open(confirmation_id, panel_secret)),
  );

  registerAppTool(
    server,
    APP_TOOLS.answer,
    {
      title: 'Answer a rotation confirmation (panel only)',
      description:
        'The user clicked Rotate now (one tunnel) or Rotate N keys now (several), or Cancel, in the confirmation panel.',
      inputSchema: z.object({
        confirmation_id: confirmationId,
        nonce,
        decision: z.enum(['rotate', 'cancel']),
      }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
      _meta: APP_ONLY,
    },
    async ({ confirmation_id, nonce, decision }, ctx) =>
      refusedWithoutApps(server, ctx) ?? toolResult(await flow.answer(confirmation_id, nonce, decision)),
  );

  registerAppTool(
    server,
    APP_TOOLS.reveal,
    {
      title: 'Show the new key in the panel (panel only)',
      description:
        'The user clicked Reveal key; the key (and the device’s configuration text, when delivery wrote one) goes ' +
        'to the panel alone, never to the model. One tunnel’s rotation only: the keys of a bulk rotation stay in ' +
        'their files.',
      inputSchema: z.object({ confirmation_id: confirmationId, nonce }),
      outputSchema: z.object({
        psk: z.string(),
        psk_fingerprint: z.string(),
        psk_file: z.string().optional(),
        device_config: z
          .string()
          .optional()
          .describe('The device’s configuration text with the key, when delivery wrote one (panel only).'),
        device_config_file: z.string().optional(),
      }),
      annotations: { readOnlyHint: true, openWorldHint: false },
      _meta: APP_ONLY,
    },
    async ({ confirmation_id, nonce }, ctx) =>
      refusedWithoutApps(server, ctx) ?? toolResult(await flow.reveal(confirmation_id, nonce)),
  );
}
