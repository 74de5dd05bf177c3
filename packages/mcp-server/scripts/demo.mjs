// A terminal MCP client for the built server in sandbox mode: lists the tool, validates, then rotates a key
// after asking you, the way an AI assistant with form elicitation would. Usage: node scripts/demo.mjs [--yes]
// With --app it serves a browser page instead, where the MCP App panel asks you (scripts/demo-app.mjs).
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createInterface as createPrompt } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEMO_TUNNEL_ID } from '@ipsec-psk/cloudflare-sim';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const USAGE =
  'Usage: pnpm demo [--yes]   (--yes answers the confirmation question with yes)\n' +
  '       pnpm demo --app [--port N] [--dark]   (the MCP App panel in your browser; the page on port N, the\n' +
  '                                            panel on N+1; default any free ports)';
let values;
try {
  ({ values } = parseArgs({
    options: {
      yes: { type: 'boolean', short: 'y' },
      app: { type: 'boolean' },
      dark: { type: 'boolean' },
      port: { type: 'string' },
      help: { type: 'boolean' },
    },
  }));
} catch (error) {
  console.error(`${error.message}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

// The demo runs what users run: the compiled binary, not the sources.
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(cli)) {
  console.error(`${cli} does not exist yet: run pnpm build first.`);
  process.exit(1);
}
const port = values.port === undefined ? 0 : Number(values.port);
if (
  values.port !== undefined &&
  (!values.app || !/^\d{1,5}$/.test(values.port) || port < 1 || port > 65_534)
) {
  console.error(`--port takes a port from 1 to 65534, with --app.\n${USAGE}`);
  process.exit(2);
}
if (values.app) {
  const { demoApp } = await import('./demo-app.mjs');
  await demoApp({ cli, theme: values.dark ? 'dark' : 'light', port });
  process.exit(0);
}
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (text) => (color ? `\x1b[1m${text}\x1b[22m` : text);
const dim = (text) => (color ? `\x1b[2m${text}\x1b[22m` : text);
const heading = (text) => console.log(`\n${bold(`── ${text}`)}`);

// A fresh directory per run, kept afterwards so the key file and audit log can be inspected.
const pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-demo-'));
console.log(`Keys and the audit log go to ${pskDir} (kept after the demo).`);

const transport = new StdioClientTransport({
  command: process.execPath,
  args: [cli, '--sandbox'],
  // The transport passes only a safe minimum of our environment (PATH, HOME, ...): no Cloudflare credentials
  // or IPSEC_PSK_* settings from this shell leak into the sandbox.
  env: { IPSEC_PSK_SANDBOX_DIR: pskDir },
  // stdout carries JSON-RPC; the server's diagnostics arrive on stderr, shown dimmed and prefixed.
  stderr: 'pipe',
});
const serverLog = transport.stderr;
if (serverLog) {
  createInterface({ input: serverLog }).on('line', (line) => console.error(dim(`  server │ ${line}`)));
}

// Declaring form elicitation lets the server ask the user directly instead of using the two-step token flow.
const client = new Client(
  { name: 'ipsec-psk-demo', version: '0.1.0' },
  { capabilities: { elicitation: { form: {} } } },
);

client.setRequestHandler(ElicitRequestSchema, async (request) => {
  heading('The server asks you');
  console.log(request.params.message);
  const question = 'Rotate the key now? [y/N] ';
  if (values.yes) {
    console.log(`${question}y (--yes)`);
    return { action: 'accept', content: { confirm: true } };
  }
  if (!process.stdin.isTTY) {
    // Nobody can answer; declining is the only safe default for a destructive action.
    console.log(
      `${question}no answer possible (stdin is not a terminal): declined. Run with --yes to accept.`,
    );
    return { action: 'decline' };
  }
  const prompt = createPrompt({ input: process.stdin, output: process.stdout });
  try {
    const answer = await prompt.question(question);
    return /^y(es)?$/i.test(answer.trim())
      ? { action: 'accept', content: { confirm: true } }
      : { action: 'decline' };
  } finally {
    prompt.close();
  }
});

function printResult(result) {
  for (const part of result.content ?? []) if (part.type === 'text') console.log(part.text);
  if (result.isError) console.log('(tool error)');
  return result.structuredContent ?? {};
}

try {
  await client.connect(transport);

  heading('Server');
  const server = client.getServerVersion();
  console.log(`${server?.title ?? server?.name} ${server?.version}`);
  console.log(client.getInstructions());

  heading('Tools');
  const { tools } = await client.listTools();
  for (const tool of tools) {
    const hints = Object.entries(tool.annotations ?? {})
      .filter(([key]) => key.endsWith('Hint'))
      .map(([key, value]) => `${key}=${value}`)
      .join(' ');
    console.log(`${bold(tool.name)}: ${tool.title ?? ''}`);
    console.log(`  inputs: ${Object.keys(tool.inputSchema.properties ?? {}).join(', ')}`);
    console.log(`  annotations: ${hints}`);
  }

  // No account_id: the sandbox's default (demo) account is used.
  heading(`Validate only (tunnel ${DEMO_TUNNEL_ID})`);
  const validated = printResult(
    await client.callTool({
      name: 'generate_ipsec_psk',
      arguments: { ipsec_tunnel_id: DEMO_TUNNEL_ID, validate_only: true },
    }),
  );
  console.log(`status: ${validated.status}, sandbox: ${validated.sandbox}`);

  heading('Rotate (the server asks for confirmation first)');
  // A human answers the question; the SDK's default 60 s request timeout would cut them off.
  const rotated = printResult(
    await client.callTool(
      { name: 'generate_ipsec_psk', arguments: { ipsec_tunnel_id: DEMO_TUNNEL_ID } },
      undefined,
      { timeout: 10 * 60_000 },
    ),
  );

  heading('Result');
  console.log(`status:          ${rotated.status}`);
  if (rotated.status === 'generated') {
    console.log(`psk_file:        ${rotated.psk_file}`);
    console.log(`psk_fingerprint: ${rotated.psk_fingerprint}`);
    // The key itself is deliberately not printed: it lives only in the 0600 file.
    console.log(`Read the key with: cat ${rotated.psk_file}`);
  } else if (rotated.status === 'declined' || rotated.status === 'cancelled') {
    console.log('Nothing was sent. Run again and answer y, or pass --yes.');
  }
  console.log(`Audit log: ${join(pskDir, 'audit.jsonl')}`);
} catch (error) {
  // One readable line instead of a stack trace; the server's own stderr (above) usually says why.
  console.error(`The demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  // Closing stdin lets the server finish any rotation in flight and exit on its own.
  await client.close();
}
