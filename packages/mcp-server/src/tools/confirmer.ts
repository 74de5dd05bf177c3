import type { ConfirmAnswer, Confirmer, FormReply } from '@ipsec-psk/rotation';
import {
  inputRequired,
  inputResponse,
  type McpServer,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { capabilitiesOf, eraOf, showsApps, showsForms } from './client-context.js';

// A human answers the confirmation; the SDK's 60 s default would cancel people who read before clicking.
const CONFIRMATION_TIMEOUT_MS = 10 * 60_000;

/** The key of the confirmation form in `inputRequests` / `inputResponses` (2026-07-28). */
const FORM_KEY = 'confirm';

/** The one field of the confirmation form. */
export interface ConfirmField {
  title: string;
  description: string;
}

const formSchema = (field: ConfirmField) => ({
  type: 'object' as const,
  properties: { confirm: { type: 'boolean' as const, ...field } },
  required: ['confirm'],
});

/** A form's answer: only a ticked box on an accepted form confirms. */
function answerOf(
  action: 'accept' | 'decline' | 'cancel',
  content: Record<string, unknown> | undefined,
): ConfirmAnswer {
  if (action === 'accept') return content?.confirm === true ? 'accept' : 'decline';
  return action;
}

/**
 * How a tool call asks its user, as far as the client allows. On a 2025-11-25 session the question is a
 * server-to-client form request tied to the call, answered while the call waits (and kept alive by progress); on
 * MCP 2026-07-28 the form travels in the result (`input_required`) and its answer in the next call. Leaving before
 * the user answered cancels the question (nothing is sent); once they answered, the call's signal no longer reaches
 * the question.
 */
export function confirmerFor(server: McpServer, ctx: ServerContext, field: ConfirmField): Confirmer {
  const capabilities = capabilitiesOf(server, ctx);
  const base = { canAsk: showsForms(capabilities), canShowApp: showsApps(capabilities) };
  if (eraOf(ctx) === 'modern') {
    return { ...base, asksLater: true, ask: () => Promise.reject(new Error('asked in the result')) };
  }
  return {
    ...base,
    async ask(message): Promise<ConfirmAnswer> {
      const question = new AbortController();
      const cancel = () => question.abort(ctx.mcpReq.signal.reason);
      if (ctx.mcpReq.signal.aborted) cancel();
      ctx.mcpReq.signal.addEventListener('abort', cancel, { once: true });
      try {
        const reply = await ctx.mcpReq.elicitInput(
          { mode: 'form', message, requestedSchema: formSchema(field) },
          // The call's own request id: without it the question would go to a stream that may not exist (HTTP).
          { timeout: CONFIRMATION_TIMEOUT_MS, signal: question.signal, relatedRequestId: ctx.mcpReq.id },
        );
        return answerOf(reply.action, reply.content);
      } finally {
        ctx.mcpReq.signal.removeEventListener('abort', cancel);
      }
    },
  };
}

/** The user's answer to a form the previous call returned (2026-07-28), or undefined on a first call. */
export function formReplyOf(ctx: ServerContext): FormReply | undefined {
  const requestState = ctx.mcpReq.requestState<string>();
  if (typeof requestState !== 'string') return undefined;
  const view = inputResponse(ctx.mcpReq.inputResponses, FORM_KEY);
  const answer = view.kind === 'elicit' ? answerOf(view.action, view.content) : 'cancel';
  return { requestState, answer };
}

/** The question as a 2026-07-28 result: the form for the client to show, and the state to send back with it. */
export function askInResult(question: { question: string; requestState: string }, field: ConfirmField) {
  return inputRequired({
    inputRequests: {
      [FORM_KEY]: inputRequired.elicit({
        mode: 'form',
        message: question.question,
        requestedSchema: formSchema(field),
      }),
    },
    requestState: question.requestState,
  });
}
