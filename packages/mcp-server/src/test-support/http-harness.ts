import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_ACCOUNT_ID, type Simulator, startSimulator } from '@ipsec-psk/cloudflare-sim';
import { createPskClient } from '@ipsec-psk/core';
import { silentLogger } from '@ipsec-psk/rotation';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import type { OAuthMetadata, OAuthTokenVerifier } from '@modelcontextprotocol/server';
import { type HttpConfig, loadHttpConfig } from '../http/http-config.js';
import { type HttpServerHandle, startHttpServer } from '../http/http-server.js';
import { PrincipalBudget } from '../http/principal-budget.js';
import { keyLinksFor } from '../http/run-http.js';
import { createServerFactory } from '../server.js';
import { readAuditLines } from './harness.js';

export const API_TOKEN = 'SENTINELhttpApiToken7y8z9a';

/** The HTTP server in this process, its simulator and key directory. */
export interface HttpHarness {
  sim: Simulator;
  handle: HttpServerHandle;
  url: string;
  pskDir: string;
  /** A real SDK client over Streamable HTTP, with a bearer token and, optionally, a form answer. */
  connect(options?: { token?: string; elicit?: (message: string) => ElicitResult }): Promise<Client>;
  auditLines(): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** Starts the HTTP mode in-process against a simulator, from environment-style settings. */
export async function startHttpHarness(options: {
  env?: Record<string, string>;
  verifier?: OAuthTokenVerifier;
  oauthMetadata?: OAuthMetadata;
  tweak?: (config: HttpConfig) => HttpConfig;
  /** Another harness's simulator and key directory, as a restarted server finds them (they stay the other's). */
  after?: HttpHarness;
}): Promise<HttpHarness> {
  const sim = options.after?.sim ?? (await startSimulator({ apiTokens: [API_TOKEN] }));
  const pskDir = options.after?.pskDir ?? (await mkdtemp(join(tmpdir(), 'ipsec-psk-http-')));
  let config = loadHttpConfig(options.env ?? {}, { host: '127.0.0.1', port: 0 }, () => '');
  if (options.tweak) config = options.tweak(config);
  const budget = new PrincipalBudget(config.rateLimitPerMinute);
  const client = createPskClient({
    apiToken: API_TOKEN,
    baseUrl: sim.url,
    retry: { baseDelayMs: 1 },
    fetch: budget.fetch,
  });
  const keyLinks = options.verifier ? keyLinksFor(config.publicUrl, options.verifier) : undefined;
  const handle = await startHttpServer({
    config,
    verifier: options.verifier,
    oauthMetadata: options.oauthMetadata,
    factory: createServerFactory({
      client,
      pskDir,
      defaultAccountId: DEMO_ACCOUNT_ID,
      logger: silentLogger,
      keyLinks,
    }),
    keyLinks,
    budget,
    logger: silentLogger,
  });
  const clients: Client[] = [];
  return {
    sim,
    handle,
    url: handle.url,
    pskDir,
    async connect({ token, elicit } = {}) {
      const mcp = new Client(
        { name: 'http-test-client', version: '1.0.0' },
        { capabilities: elicit ? { elicitation: { form: {} } } : {} },
      );
      if (elicit) {
        mcp.setRequestHandler(ElicitRequestSchema, async (request) => elicit(request.params.message));
      }
      const transport = new StreamableHTTPClientTransport(new URL(handle.url), {
        requestInit: token ? { headers: { Authorization: `Bearer ${token}` } } : {},
      });
      await mcp.connect(transport);
      clients.push(mcp);
      return mcp;
    },
    auditLines: () => readAuditLines(pskDir),
    async close() {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      await handle.close();
      budget.shutdown();
      if (options.after) return;
      await sim.close();
      await rm(pskDir, { recursive: true, force: true });
    },
  };
}
