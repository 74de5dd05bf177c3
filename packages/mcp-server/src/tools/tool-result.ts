/** A flow's answer as an MCP tool result: text for the model, `structuredContent` for clients, or a tool error. */
export function toolResult<A extends { output: object; text: string } | { error: string }>(answer: A) {
  if ('error' in answer) return { content: [{ type: 'text' as const, text: answer.error }], isError: true };
  return {
    content: [{ type: 'text' as const, text: answer.text }],
    structuredContent: answer.output as Record<string, unknown>,
  };
}
