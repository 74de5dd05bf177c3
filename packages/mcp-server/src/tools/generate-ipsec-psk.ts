import { IDENTIFIER_MAX_LENGTH, IDENTIFIER_RULE, isIdentifier } from '@ipsec-psk/core';
import { getUiCapability, RESOURCE_MIME_TYPE, registerAppTool } from '@modelcontextprotocol/ext-apps/server';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { keepAlive } from '../keep-alive.js';
import type { ConfirmAnswer, Confirmer, Rotation, RotationAnswer } from '../rotation.js';
import { rotationOutputShape } from '../rotation-output.js';
import { VIEW_URI } from '../view-resource.js';
import { toolResult } from './tool-result.js';

/** The tool's name, as assistants call it. */
export const GENERATE_IPSEC_PSK = 'generate_ipsec_psk';

// A human answers the confirmation; the SDK's 60 s default would cancel people who read before clicking.
const CONFIRMATION_TIMEOUT_MS = 10 * 60_000;

// The limits are core's (tested against the spec); min/max also put them in the JSON schema clients see.
function identifier(field: string, description: string) {
  const error = `${field} must be ${IDENTIFIER_RULE}`;
  return z
    .string()
    .min(1, { error })
    .max(IDENTIFIER_MAX_LENGTH, { error })
    .refine(isIdentifier, { error })
    .describe(description);
}

export const inputSchema = {
  account_id: identifier(
    'account_id',
    'Cloudflare account id (32 hex characters). Optional when the server has a default account.',
  ).optional(),
  ipsec_tunnel_id: identifier('ipsec_tunnel_id', 'The IPsec tunnel whose pre-shared key is replaced.'),
  validate_only: z
    .boolean()
    .default(false)
    .describe('true: only check that the key could be generated; nothing changes and nobody is asked.'),
  confirmation_token: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe(
      'Only for the two-step flow: the token from a confirmation_required result, passed after the user agreed.',
    ),
};

const DESCRIPTION = [
  'Rotate (regenerate) the pre-shared key (PSK) of a Cloudflare Magic WAN / Magic Transit IPsec tunnel.',
  'DESTRUCTIVE: the current key stops working at once and the tunnel stays down until the new key is configured on',
  'the customer device. Use validate_only=true first to check access without changing anything.',
  'A real rotation always needs the user’s confirmation: the server asks the user directly (a form, or a confirmation',
  'panel shown with the result, where only their click confirms) when the client supports it; otherwise it returns',
  'status confirmation_required with a confirmation_token — show the question to the user and call again with the',
  'token only after they explicitly agree. The new key is written to a 0600 file on the server',
  'machine; the result gives its path and fingerprint, not the key. If status is outcome_unknown, do not retry',
  'blindly: read the result, which says whether the key was replaced.',
].join(' ');

/** Options of the tool beyond the rotation flow. */
export interface ToolOptions {
  /** How often a waiting client is sent a progress notification, when it asked for progress. */
  progressIntervalMs: number;
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
      inputSchema,
      outputSchema: rotationOutputShape,
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
    async (args, extra) => {
      const capabilities = server.server.getClientCapabilities();
      const confirmer: Confirmer = {
        canAsk: Boolean(capabilities?.elicitation?.form),
        canShowApp: Boolean(getUiCapability(capabilities)?.mimeTypes?.includes(RESOURCE_MIME_TYPE)),
        async ask(message): Promise<ConfirmAnswer> {
          // Leaving before the user answers cancels the question (nothing is sent). Once they answered, the
          // request's signal must no longer reach the question: the SDK would write a cancellation for an answered
          // request, to a client that may be gone.
          const question = new AbortController();
          const cancel = () => question.abort(extra.signal.reason);
          if (extra.signal.aborted) cancel();
          extra.signal.addEventListener('abort', cancel, { once: true });
          try {
            return await ask(message, question.signal);
          } finally {
            extra.signal.removeEventListener('abort', cancel);
          }
        },
      };
      const ask = async (message: string, signal: AbortSignal): Promise<ConfirmAnswer> => {
        const reply = await server.server.elicitInput(
          {
            mode: 'form',
            message,
            requestedSchema: {
              type: 'object',
              properties: {
                confirm: {
                  type: 'boolean',
                  title: 'Rotate the key now',
                  description: 'The current key stops working immediately.',
                },
              },
              required: ['confirm'],
            },
          },
          { timeout: CONFIRMATION_TIMEOUT_MS, signal },
        );
        if (reply.action === 'accept') return reply.content?.confirm === true ? 'accept' : 'decline';
        return reply.action;
      };
      const stop = keepAlive(extra, options.progressIntervalMs);
      try {
        return toolResult<RotationAnswer>(await rotation.run(args, confirmer));
      } finally {
        stop();
      }
    },
  );
}
