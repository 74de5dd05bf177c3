import type { Rotation } from '@ipsec-psk/rotation';
import { registerAppTool } from '@modelcontextprotocol/ext-apps/server';
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { keepAlive } from '../keep-alive.js';
import { VIEW_URI } from '../view-resource.js';
import { askInResult, type ConfirmField, confirmerFor, formReplyOf } from './confirmer.js';
import { accountIdInput, confirmationTokenInput, identifier } from './inputs.js';
import { type KeyPageDeps, offerKeyPage } from './key-page.js';
import { rotationOutputShape } from './rotation-output.js';
import { toolResult } from './tool-result.js';

/** The tool's name, as assistants call it. */
export const GENERATE_IPSEC_PSK = 'generate_ipsec_psk';

export const inputSchema = {
  account_id: accountIdInput,
  ipsec_tunnel_id: identifier('ipsec_tunnel_id').describe(
    'The IPsec tunnel whose pre-shared key is replaced.',
  ),
  validate_only: z
    .boolean()
    .default(false)
    .describe('true: only check that the key could be generated; nothing changes and nobody is asked.'),
  confirmation_token: confirmationTokenInput,
};

const DESCRIPTION = [
  'Rotate (regenerate) the pre-shared key (PSK) of a Cloudflare Magic WAN / Magic Transit IPsec tunnel.',
  'DESTRUCTIVE: the current key stops working at once and the tunnel stays down until the new key is configured on',
  'the customer device. Use validate_only=true first to check access without changing anything.',
  'A real rotation always needs the user’s confirmation: the server asks the user directly (a form, or a confirmation',
  'panel shown with the result, where only their click confirms) when the client supports it; otherwise it returns',
  'status confirmation_required with a confirmation_token — show the question to the user and call again with the',
  'token only after they explicitly agree. The new key is written to a 0600 file on the server',
  'machine; the result gives its path and fingerprint, not the key. Where the operator configured delivery, the',
  'server then hands the key to the customer device and the result says whether it took it (delivery) and whether',
  'Cloudflare sees the tunnel up again (health). If status is outcome_unknown, do not retry blindly: read the',
  'result, which says whether the key was replaced.',
].join(' ');

const FORM_FIELD: ConfirmField = {
  title: 'Rotate the key now',
  description: 'The current key stops working immediately.',
};

/** Options of the tool beyond the rotation flow. */
export interface ToolOptions {
  /** How often a waiting client is sent a progress notification, when it asked for progress. */
  progressIntervalMs: number;
  /** Over HTTP with authentication: a one-time page that shows a new key to its user. */
  keyPage?: KeyPageDeps | undefined;
}

/** Registers generate_ipsec_psk on `server`. */
export function registerGenerateIpsecPskTool(
  server: McpServer,
  rotation: Rotation,
  options: ToolOptions,
): void {
  registerAppTool(
    server,
    GENERATE_IPSEC_PSK,
    {
      title: 'Rotate IPsec tunnel pre-shared key',
      description: DESCRIPTION,
      inputSchema: z.object(inputSchema),
      outputSchema: z.object(rotationOutputShape),
      annotations: {
        title: 'Rotate IPsec tunnel pre-shared key',
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: true,
      },
      // Hosts with MCP Apps show the panel with every result; only the model calls this tool.
      _meta: { ui: { resourceUri: VIEW_URI, visibility: ['model'] } },
    },
    async (args, ctx) => {
      const stop = keepAlive(ctx, options.progressIntervalMs);
      try {
        const reply = formReplyOf(ctx);
        const answer = await rotation.run({ ...args, reply }, confirmerFor(server, ctx, FORM_FIELD));
        if ('ask' in answer) return askInResult(answer.ask, FORM_FIELD);
        // A held answer coming back has had its page offered already.
        if ('error' in answer || (reply && (await rotation.holds(reply.requestState))))
          return toolResult(answer);
        return (await offerKeyPage(server, ctx, rotation, answer, options.keyPage)) ?? toolResult(answer);
      } finally {
        stop();
      }
    },
  );
}
