import type { RestoreFlow } from '@ipsec-psk/rotation';
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { ConfirmField } from './confirmer.js';
import { callFleetFlow } from './fleet-call.js';
import { fleetOutputShape } from './fleet-output.js';
import { accountIdInput, confirmationTokenInput, identifier } from './inputs.js';

/** The tool's name, as assistants call it. */
export const RESTORE_IPSEC_PSK = 'restore_ipsec_psk';

export const restoreInputSchema = {
  account_id: accountIdInput,
  ipsec_tunnel_id: identifier('ipsec_tunnel_id').describe(
    'The tunnel whose previous key goes back (a result whose delivery failed says when this machine holds it).',
  ),
  confirmation_token: confirmationTokenInput,
};

const DESCRIPTION = [
  'Put the previous pre-shared key of a Cloudflare Magic WAN / Magic Transit IPsec tunnel back, after the user',
  'confirms: the way back when delivering a new key to the customer device failed (the result of',
  'generate_ipsec_psk or rotate_ipsec_psks then says previous_key_held). DESTRUCTIVE: the current key stops working;',
  'the tunnel comes up again with the device that still has the previous key. Only a key a rotation on this server',
  'stored can go back; the tool says plainly when none is held. The server asks the user with a form when the client',
  'supports it; otherwise it returns confirmation_required with a confirmation_token: show the question to the user',
  'and call again with the token only after they explicitly agree. The key is sent with Set PSKs, stored first.',
].join(' ');

/** Registers restore_ipsec_psk on `server`. */
export function registerRestoreIpsecPskTool(
  server: McpServer,
  restore: RestoreFlow,
  options: { progressIntervalMs: number },
): void {
  server.registerTool(
    RESTORE_IPSEC_PSK,
    {
      title: 'Put an IPsec tunnel’s previous key back',
      description: DESCRIPTION,
      inputSchema: z.object(restoreInputSchema),
      outputSchema: z.object(fleetOutputShape),
      annotations: {
        title: 'Put an IPsec tunnel’s previous key back',
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: true,
      },
    },
    async (args, ctx) => {
      const field: ConfirmField = {
        title: 'Put the previous key back now',
        description: 'The current key stops working immediately.',
      };
      return callFleetFlow(server, ctx, field, options.progressIntervalMs, (reply, confirmer, onProgress) =>
        restore.run({ ...args, reply }, confirmer, onProgress),
      );
    },
  );
}
