import type { McpServer, ServerContext } from '@modelcontextprotocol/server';
import { capabilitiesOf, showsApps } from './client-context.js';

type ListTools = (
  request: { method: 'tools/list'; params?: unknown },
  ctx: ServerContext,
) => Promise<{ tools: { name: string }[] }>;

/**
 * Lists the app-only tools only to clients that declared MCP Apps (on this request, or in their session). Neither
 * the SDK nor ext-apps filters them: the MCP Apps spec leaves hiding them to the host, and a client that is no host
 * (an agent framework handing every listed tool to its model) would offer the panel's tools to the model. The SDK
 * has no public hook around its tools/list handler, so this wraps the one McpServer installed; the SDK is pinned and
 * the behaviour tested, so an upgrade that changes this fails a test rather than silently listing them again.
 */
export function listAppToolsOnlyToApps(server: McpServer, names: readonly string[]): void {
  const low = server.server as unknown as { _getRequestHandler(method: string): unknown };
  const original = low._getRequestHandler('tools/list') as ListTools | undefined;
  if (!original) throw new Error('tools/list is not installed: register the tools first');
  server.server.setRequestHandler('tools/list', async (request, ctx) => {
    const listed = await original({ method: 'tools/list', params: request.params }, ctx);
    if (showsApps(capabilitiesOf(server, ctx))) return listed as never;
    return { ...listed, tools: listed.tools.filter((tool) => !names.includes(tool.name)) } as never;
  });
}

/** An app-only tool's refusal for a client without MCP Apps: it has no panel, so nothing can legitimately call it. */
export function refusedWithoutApps(server: McpServer, ctx: ServerContext) {
  if (showsApps(capabilitiesOf(server, ctx))) return undefined;
  return {
    content: [
      {
        type: 'text' as const,
        text: 'This tool belongs to the confirmation panel of MCP Apps hosts, and this client declared no MCP Apps support.',
      },
    ],
    isError: true,
  };
}
