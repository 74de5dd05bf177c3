import { getUiCapability, RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';
import {
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  type McpServer,
  type ServerContext,
} from '@modelcontextprotocol/server';

// What the server knows of the client on one request. MCP 2026-07-28 carries the client's capabilities in every
// request's envelope; a 2025-11-25 session declared them once, in `initialize`. A 2026-07-28 connection over stdio
// has no `initialize` at all, so the envelope is the only place to look there.

/** Which protocol the request speaks: `modern` (2026-07-28, stateless) or `legacy` (a 2025-11-25 session). */
export type Era = 'modern' | 'legacy';

const envelopeOf = (ctx: ServerContext) => ctx.mcpReq.envelope as Record<string, unknown> | undefined;

/** The era of the request being handled. */
export function eraOf(ctx: ServerContext): Era {
  return envelopeOf(ctx)?.[CLIENT_CAPABILITIES_META_KEY] === undefined ? 'legacy' : 'modern';
}

/** The client's capabilities as this request states them (2026-07-28) or its session declared them (2025-11-25). */
export function capabilitiesOf(server: McpServer, ctx: ServerContext): ClientCapabilities | undefined {
  return (
    (envelopeOf(ctx)?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined) ??
    server.server.getClientCapabilities()
  );
}

/** Whether the client can show the user a form: `elicitation.form`, or a bare `elicitation: {}` (form only). */
export function showsForms(capabilities: ClientCapabilities | undefined): boolean {
  const elicitation = capabilities?.elicitation;
  return Boolean(elicitation && (elicitation.form !== undefined || Object.keys(elicitation).length === 0));
}

/** Whether the client can open a URL for the user (URL-mode elicitation). */
export function opensUrls(capabilities: ClientCapabilities | undefined): boolean {
  return capabilities?.elicitation?.url !== undefined;
}

/** Whether the client renders MCP Apps (the extension `io.modelcontextprotocol/ui` with the HTML profile). */
export function showsApps(capabilities: ClientCapabilities | undefined): boolean {
  return Boolean(getUiCapability(capabilities)?.mimeTypes?.includes(RESOURCE_MIME_TYPE));
}
