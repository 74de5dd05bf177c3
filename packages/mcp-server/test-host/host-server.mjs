// A small MCP Apps host for tests and the demo: it connects to the built server over stdio (an SDK client in this
// process), plays the model's side (calls the model-visible tools), and serves a web page that renders the panel as
// web hosts do: in a sandbox proxy iframe on another origin, through the package's own host side (AppBridge).
// It enforces tool visibility itself (AppBridge does not) and records everything a real host would hand the model.

import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { build } from 'esbuild';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));
const UI_EXTENSION = 'io.modelcontextprotocol/ui';
const MCP_APP_MIME = 'text/html;profile=mcp-app';

// The spec's restrictive default for a View that declares no `csp` (SEP-1865, "Host Behavior"), plus what the
// proxy itself needs: it frames the View and runs one inline script.
const VIEW_CSP = [
  "default-src 'none'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "media-src 'self' data:",
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'self'",
].join('; ');

const visibilityOf = (tool) => tool?._meta?.ui?.visibility ?? ['model', 'app'];

function listen(server, host, port = 0) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server.address().port));
  });
}

async function body(request) {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  return chunks.length === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function send(response, status, type, payload, headers = {}) {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
  response.end(payload);
}

const json = (response, status, value) => send(response, status, 'application/json', JSON.stringify(value));

// The page's script and the two HTML files never change while tests run: built and read once per process.
let assets;
function loadAssets() {
  assets ??= Promise.all([
    build({
      entryPoints: [here('./host-page.ts')],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      tsconfig: here('../tsconfig.view.json'),
      logLevel: 'warning',
    }),
    readFile(here('./host.html'), 'utf8'),
    readFile(here('./sandbox.html'), 'utf8'),
  ]).then(([page, pageHtml, sandboxHtml]) => ({
    pageScript: page.outputFiles[0].text,
    pageHtml,
    sandboxHtml,
  }));
  return assets;
}

/**
 * Starts the host. `server` says how to start the MCP server (command, args, env). Returns the page's URL, the MCP
 * client, and `forModel`: every tool result, notification and context update this host would hand the model.
 */
export async function startTestHost({ server, theme = 'light', port = 0 }) {
  const forModel = [];
  const forApp = [];
  const transport = new StdioClientTransport({ ...server, stderr: 'pipe' });
  const stderr = [];
  transport.stderr?.on('data', (chunk) => stderr.push(chunk.toString()));
  const client = new Client(
    { name: 'ipsec-psk-test-host', version: '1.0.0' },
    { capabilities: { extensions: { [UI_EXTENSION]: { mimeTypes: [MCP_APP_MIME] } } } },
  );
  // Server notifications (progress, logs) may reach the model in some hosts: count them as handed to it.
  client.fallbackNotificationHandler = async (notification) => {
    forModel.push({ kind: 'notification', notification });
  };
  await client.connect(transport);
  const { tools } = await client.listTools();
  const toolNamed = (name) => tools.find((tool) => tool.name === name);

  const { pageScript, pageHtml, sandboxHtml } = await loadAssets();

  const sandbox = createServer((request, response) => {
    if (new URL(request.url, 'http://x').pathname !== '/sandbox.html')
      return send(response, 404, 'text/plain', '');
    send(response, 200, 'text/html; charset=utf-8', sandboxHtml.replace('HOST_ORIGIN', hostOrigin), {
      'content-security-policy': VIEW_CSP,
    });
  });
  // Another origin than the page, as the spec requires: another host name and another port.
  // With a fixed port (a demo behind a jump host), the panel's origin is the next one.
  const sandboxPort = await listen(sandbox, 'localhost', port === 0 ? 0 : port + 1);
  const sandboxUrl = `http://localhost:${sandboxPort}/sandbox.html`;

  const api = {
    'GET /api/tools': async () => ({ tools }),
    // The model's call: only tools the model may see.
    'POST /api/model/call': async ({ name, arguments: args }) => {
      if (!visibilityOf(toolNamed(name)).includes('model'))
        return { status: 403, error: `${name} is not for the model` };
      const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 });
      forModel.push({ kind: 'tool-result', name, result });
      return { result };
    },
    // The panel's call: only tools the app may call; the result goes to the panel alone.
    'POST /api/app/call': async ({ name, arguments: args }) => {
      if (!visibilityOf(toolNamed(name)).includes('app'))
        return { status: 403, error: `${name} is not for the app` };
      const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 300_000 });
      forApp.push({ name, result });
      return { result };
    },
    'POST /api/resource': async ({ uri }) => ({ resource: await client.readResource({ uri }) }),
    'POST /api/model/context': async (params) => {
      forModel.push({ kind: 'model-context', params });
      return {};
    },
    'POST /api/model/message': async (params) => {
      forModel.push({ kind: 'message', params });
      return {};
    },
  };

  const host = createServer(async (request, response) => {
    const url = new URL(request.url, 'http://x');
    if (request.method === 'GET' && url.pathname === '/') {
      const config = JSON.stringify({ sandboxUrl, theme });
      return send(
        response,
        200,
        'text/html; charset=utf-8',
        pageHtml.replace('HOST_CONFIG', () => config),
      );
    }
    if (request.method === 'GET' && url.pathname === '/host.js')
      return send(response, 200, 'text/javascript', pageScript);
    const route = api[`${request.method} ${url.pathname}`];
    if (!route) return send(response, 404, 'text/plain', '');
    try {
      const answer = await route(await body(request));
      json(response, answer.status ?? 200, answer);
    } catch (error) {
      json(response, 500, { error: error instanceof Error ? error.message : String(error) });
    }
  });
  const hostPort = await listen(host, '127.0.0.1', port);
  const hostOrigin = `http://127.0.0.1:${hostPort}`;

  return {
    url: `${hostOrigin}/`,
    sandboxUrl,
    client,
    tools,
    forModel,
    forApp,
    stderr,
    async close() {
      await client.close().catch(() => {});
      await Promise.all([host, sandbox].map((s) => new Promise((resolve) => s.close(resolve))));
      host.closeAllConnections?.();
      sandbox.closeAllConnections?.();
    },
  };
}
