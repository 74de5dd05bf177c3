import { FLEET_MAX, type FleetRotation } from '@ipsec-psk/rotation';
import { registerAppTool } from '@modelcontextprotocol/ext-apps/server';
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { VIEW_URI } from '../view-resource.js';
import type { ConfirmField } from './confirmer.js';
import { callFleetFlow } from './fleet-call.js';
import { fleetOutputShape } from './fleet-output.js';
import { accountIdInput, confirmationTokenInput, identifier } from './inputs.js';

/** The tool's name, as assistants call it. */
export const ROTATE_IPSEC_PSKS = 'rotate_ipsec_psks';

export const inputSchema = {
  account_id: accountIdInput,
  ipsec_tunnel_ids: z
    .array(identifier('each of ipsec_tunnel_ids'))
    .min(1)
    .max(FLEET_MAX)
    .describe('The tunnels whose keys are replaced, each once (find ids with list_ipsec_tunnels).'),
  validate_only: z
    .boolean()
    .default(false)
    .describe(
      'true: only check that Cloudflare would accept new keys for them all; nothing changes, nobody is asked.',
    ),
  confirmation_token: confirmationTokenInput,
};

const DESCRIPTION = [
  'Rotate the pre-shared keys (PSKs) of several Cloudflare Magic WAN / Magic Transit IPsec tunnels at once, with one',
  'confirmation by the user. DESTRUCTIVE: each current key stops working at once and each tunnel stays down until',
  'its new key is configured on its customer device. Use validate_only=true first. The server asks the user directly',
  '(a form, or a confirmation panel shown with the result, where only their click confirms) when the client supports',
  'it; otherwise it returns status confirmation_required with a confirmation_token: show the question to the user',
  'and call again with the token only after they explicitly agree. The new keys are',
  'made on the server and stored in 0600 files before they are sent, so no outcome loses a key; the result lists',
  'each tunnel as applied, not_applied (with Cloudflare’s reason; the old key still works), not_sent or unknown',
  '(the stored key may or may not be in force), and, where the operator configured delivery, whether its device',
  'took the key and Cloudflare sees it up again. Also the safe way back when generate_ipsec_psk lost a key.',
].join(' ');

/** Options of the tool beyond the flow. */
export interface FleetToolOptions {
  progressIntervalMs: number;
}

/** Registers rotate_ipsec_psks on `server`. */
export function registerRotateIpsecPsksTool(
  server: McpServer,
  fleet: FleetRotation,
  options: FleetToolOptions,
): void {
  registerAppTool(
    server,
    ROTATE_IPSEC_PSKS,
    {
      title: 'Rotate the pre-shared keys of several IPsec tunnels',
      description: DESCRIPTION,
      inputSchema: z.object(inputSchema),
      outputSchema: z.object(fleetOutputShape),
      annotations: {
        title: 'Rotate the pre-shared keys of several IPsec tunnels',
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: true,
      },
      // Hosts with MCP Apps show the panel with every result (the question, then the per-tunnel outcome); only
      // the model calls this tool.
      _meta: { ui: { resourceUri: VIEW_URI, visibility: ['model'] } },
    },
    async (args, ctx) => {
      const count = args.ipsec_tunnel_ids.length;
      const field: ConfirmField = {
        title: `Rotate ${count === 1 ? 'the key' : `all ${count} keys`} now`,
        description: 'Each current key stops working immediately.',
      };
      return callFleetFlow(server, ctx, field, options.progressIntervalMs, (reply, confirmer, onProgress) =>
        fleet.run({ ...args, reply }, confirmer, onProgress),
      );
    },
  );
}
