import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEMO_ACCOUNT_ID,
  type Simulator,
  type SimulatorOptions,
  startSimulator,
} from '@ipsec-psk/cloudflare-sim';
import { createPskClient, type PskClient, type PskClientOptions } from '@ipsec-psk/core';
import { RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  type CallToolResult,
  ElicitRequestSchema,
  type ElicitResult,
} from '@modelcontextprotocol/sdk/types.js';
import { APP_TOOLS, PANEL_SECRET_META } from '../app-tool-names.js';
import { type CreateServerOptions, createServer } from '../server.js';

export const TOKEN = 'SENTINELmcpApiToken5u6v7w8x';

/** How the test client answers an elicitation; undefined: the client does not support elicitation. */
export type ElicitAnswer = (message: string) => ElicitResult | Promise<ElicitResult>;

/** The user ticks the box and accepts the form. */
export const accept: ElicitAnswer = () => ({ action: 'accept', content: { confirm: true } });
/** The user declines the form. */
export const decline: ElicitAnswer = () => ({ action: 'decline' });

export interface Harness {
  sim: Simulator;
  client: Client;
  pskDir: string;
  elicitations: string[];
  call(args: Record<string, unknown>, options?: RequestOptions): Promise<CallToolResult>;
  /** Calls any tool by name, as the panel (or a misbehaving model) would. */
  callTool(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  /** The panel's click on Rotate or Cancel, forwarded by the host. */
  panelAnswer(confirmationId: string, nonce: string, decision: 'rotate' | 'cancel'): Promise<CallToolResult>;
  pskFiles(): Promise<string[]>;
  /** The audit log's lines, parsed; none when there is no log yet. */
  auditLines(): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** How a harness is built beyond the defaults. */
export interface HarnessOptions {
  elicit?: ElicitAnswer;
  /** Declare the MCP Apps extension, as hosts that render Apps do. */
  ui?: boolean;
  server?: Partial<CreateServerOptions>;
  /** Simulator options (accounts, clock); the test token is always accepted. */
  sim?: SimulatorOptions;
  /** Core client options beyond the test defaults (a fetch wrapper, say). */
  core?: Partial<PskClientOptions>;
  /** Wraps the core client, to make it misbehave. */
  wrapClient?: (client: PskClient) => PskClient;
}

/** A real SDK client talking in memory to createServer(), whose core client talks HTTP to the simulator. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const sim = await startSimulator({ apiTokens: [TOKEN], ...options.sim });
  const pskDir = options.server?.pskDir ?? (await mkdtemp(join(tmpdir(), 'ipsec-psk-mcp-')));
  const core = createPskClient({
    apiToken: TOKEN,
    baseUrl: sim.url,
    retry: { baseDelayMs: 1 },
    ...options.core,
  });
  const { server } = createServer({
    client: options.wrapClient ? options.wrapClient(core) : core,
    defaultAccountId: DEMO_ACCOUNT_ID,
    ...options.server,
    pskDir,
  });
  const client = new Client(
    { name: 'test-client', version: '1.0.0' },
    {
      capabilities: {
        ...(options.elicit ? { elicitation: { form: {} } } : {}),
        ...(options.ui
          ? { extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: [RESOURCE_MIME_TYPE] } } }
          : {}),
      },
    },
  );
  const elicitations: string[] = [];
  if (options.elicit) {
    const answer = options.elicit;
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      elicitations.push(request.params.message);
      return answer(request.params.message);
    });
  }
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);

  return {
    sim,
    client,
    pskDir,
    elicitations,
    call: (args, requestOptions = {}) =>
      client.callTool({ name: 'generate_ipsec_psk', arguments: args }, undefined, {
        timeout: 30_000,
        ...requestOptions,
      }) as Promise<CallToolResult>,
    callTool: (name, args) =>
      client.callTool({ name, arguments: args }, undefined, { timeout: 30_000 }) as Promise<CallToolResult>,
    panelAnswer: (confirmationId, nonce, decision) =>
      client.callTool(
        { name: APP_TOOLS.answer, arguments: { confirmation_id: confirmationId, nonce, decision } },
        undefined,
        { timeout: 30_000 },
      ) as Promise<CallToolResult>,
    async pskFiles() {
      const entries = await readdir(pskDir, { recursive: true });
      return entries.filter((entry) => entry.endsWith('.psk')).map((entry) => join(pskDir, entry));
    },
    auditLines: () => readAuditLines(pskDir),
    async close() {
      await client.close();
      await server.close();
      await sim.close();
      await rm(pskDir, { recursive: true, force: true });
    },
  };
}

/** The audit log's lines in `pskDir`, parsed; none when there is no log yet. */
export async function readAuditLines(pskDir: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(pskDir, 'audit.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Waits until `condition` holds, polling; fails after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The text of a tool result's first content block. */
export function textOf(result: CallToolResult): string {
  const first = result.content[0];
  return first?.type === 'text' ? first.text : '';
}

/** What a host hands the model of a tool result: its content and structured content, never its `_meta`. */
export function modelView(result: CallToolResult): string {
  return JSON.stringify({ content: result.content, structuredContent: result.structuredContent });
}

/** The secret a confirmation_required result gives the View alone (in `_meta`), as the host hands it to the panel. */
export function panelSecretOf(result: CallToolResult): string {
  const secret = result._meta?.[PANEL_SECRET_META];
  if (typeof secret !== 'string') throw new Error('the result carries no panel secret for the View');
  return secret;
}
