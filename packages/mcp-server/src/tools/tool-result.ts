import type { ViewOnly } from '@ipsec-psk/rotation';
import { PANEL_SECRET_META } from '../app-tool-names.js';

/** An answer of a flow, as tool results carry them. */
type Answer =
  | { output: object; text: string; viewOnly?: ViewOnly | undefined }
  | { error: string }
  | { ask: unknown };

/**
 * A flow's answer as an MCP tool result: text for the model, `structuredContent` for clients, what only the View
 * may see in `_meta`, or a tool error.
 */
export function toolResult(answer: Answer) {
  if ('ask' in answer)
    return toolResult({ error: 'This client cannot answer a question in a later request.' });
  if ('error' in answer) return { content: [{ type: 'text' as const, text: answer.error }], isError: true };
  return {
    content: [{ type: 'text' as const, text: answer.text }],
    structuredContent: answer.output as Record<string, unknown>,
    ...(answer.viewOnly ? { _meta: { [PANEL_SECRET_META]: answer.viewOnly.panel_secret } } : {}),
  };
}
