import type { ConfirmAnswer, Confirmer } from '@ipsec-psk/rotation';
import { getUiCapability, RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';

// A human answers the confirmation; the SDK's 60 s default would cancel people who read before clicking.
const CONFIRMATION_TIMEOUT_MS = 10 * 60_000;

/** The one field of the confirmation form. */
export interface ConfirmField {
  title: string;
  description: string;
}

/**
 * How a tool call asks its user: what the client can show, and a form question (MCP elicitation) tied to the
 * call. Leaving before the user answers cancels the question (nothing is sent). Once they answered, the call's
 * signal no longer reaches the question: the SDK would write a cancellation for an answered request, to a client
 * that may be gone.
 */
export function formConfirmer(
  server: McpServer,
  extra: RequestHandlerExtra<ServerRequest, ServerNotification>,
  field: ConfirmField,
): Confirmer {
  const capabilities = server.server.getClientCapabilities();
  const ask = async (message: string, signal: AbortSignal): Promise<ConfirmAnswer> => {
    const reply = await server.server.elicitInput(
      {
        mode: 'form',
        message,
        requestedSchema: {
          type: 'object',
          properties: { confirm: { type: 'boolean', ...field } },
          required: ['confirm'],
        },
      },
      // The call's own request id: without it the question would go to a stream that may not exist (HTTP).
      { timeout: CONFIRMATION_TIMEOUT_MS, signal, relatedRequestId: extra.requestId },
    );
    if (reply.action === 'accept') return reply.content?.confirm === true ? 'accept' : 'decline';
    return reply.action;
  };
  return {
    canAsk: Boolean(capabilities?.elicitation?.form),
    canShowApp: Boolean(getUiCapability(capabilities)?.mimeTypes?.includes(RESOURCE_MIME_TYPE)),
    async ask(message): Promise<ConfirmAnswer> {
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
}
