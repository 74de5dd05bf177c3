import { Captured } from '@ipsec-psk/rotation/testing';
import {
  type CallToolResult,
  Client,
  type ClientCapabilities,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { CLI } from './binary.js';

// Clients of the official SDK's current line (v2), in each era a host may speak: pinned to MCP 2026-07-28 (they
// find the server with `server/discover` and never fall back), the 2025-11-25 `initialize` handshake (the default),
// or `auto` (probe, then fall back).

/** Which MCP era a client speaks. */
export type ClientEra = 'modern' | 'legacy' | 'auto';

/** How a test's client behaves. */
export interface ClientOptions {
  era: ClientEra;
  /** Declare form elicitation and answer every question so; none: no elicitation capability. */
  answer?: 'accept' | 'decline' | undefined;
  /** Declare the MCP Apps extension, as hosts that render the panel do. */
  ui?: boolean | undefined;
  /** Declare URL-mode elicitation too, and accept every URL offered (recorded in `links`). */
  urls?: boolean | undefined;
}

/** A connected client, the questions it was asked, and its calls. */
export interface TestClient {
  client: Client;
  questions: string[];
  /** The URLs offered to the user (URL-mode elicitation). */
  links: string[];
  call(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

function newClient(options: ClientOptions): { client: Client; questions: string[]; links: string[] } {
  const capabilities: ClientCapabilities = {
    ...(options.answer ? { elicitation: options.urls ? { form: {}, url: {} } : { form: {} } } : {}),
    ...(options.ui
      ? { extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } } }
      : {}),
  };
  const versionNegotiation =
    options.era === 'modern'
      ? { mode: { pin: '2026-07-28' } }
      : options.era === 'auto'
        ? { mode: 'auto' as const }
        : undefined;
  const client = new Client(
    { name: `v2-${options.era}-test-client`, version: '1.0.0' },
    { capabilities, ...(versionNegotiation ? { versionNegotiation } : {}) },
  );
  const questions: string[] = [];
  const links: string[] = [];
  const { answer } = options;
  if (answer) {
    // One handler answers both a pushed question (2025-11-25) and one carried in an input_required result
    // (2026-07-28, which the client fulfils and retries by itself).
    client.setRequestHandler('elicitation/create', async (request) => {
      const params = request.params as { message: string; mode?: string; url?: string };
      if (params.mode === 'url') {
        links.push(params.url ?? '');
        return { action: 'accept' as const };
      }
      questions.push(params.message);
      return answer === 'accept'
        ? { action: 'accept' as const, content: { confirm: true } }
        : { action: 'decline' as const };
    });
  }
  return { client, questions, links };
}

function wrap(client: Client, questions: string[], links: string[]): TestClient {
  return {
    client,
    questions,
    links,
    call: async (name, args) =>
      (await client.callTool({ name, arguments: args }, { timeout: 30_000 })) as CallToolResult,
    close: () => client.close().catch(() => {}),
  };
}

/** The built binary over stdio, with `env` (plus PATH); resolves once it logged that it is ready. */
export async function connectStdio(
  options: ClientOptions & { env: Record<string, string>; args?: string[] },
): Promise<TestClient & { stderr: Captured }> {
  const { client, questions, links } = newClient(options);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, ...(options.args ?? [])],
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stderr: 'pipe',
  });
  const stderr = new Captured(transport.stderr);
  await client.connect(transport);
  await stderr.waitFor(/ready/);
  return { ...wrap(client, questions, links), stderr };
}

/** An HTTP endpoint, with a bearer token when given. */
export async function connectHttp(
  url: string,
  options: ClientOptions & { token?: string | undefined },
): Promise<TestClient> {
  const { client, questions, links } = newClient(options);
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: options.token ? { headers: { Authorization: `Bearer ${options.token}` } } : {},
  });
  await client.connect(transport);
  return wrap(client, questions, links);
}
