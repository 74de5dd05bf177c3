// A stand-in MCP client in its own process, so a test can kill it the way a crashing host dies: it starts the
// server binary (argv[2]) with the environment in SERVER_ENV, accepts every confirmation form, calls
// generate_ipsec_psk with the arguments in argv[3], and prints one JSON line per event on stdout.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const [cli, args] = process.argv.slice(2);
const report = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);

// stderr is piped (not inherited), as a host does: when this process dies, the server's stderr breaks too.
const transport = new StdioClientTransport({
  command: process.execPath,
  args: [cli],
  env: JSON.parse(process.env.SERVER_ENV ?? '{}'),
  stderr: 'pipe',
});
transport.stderr?.on('data', (chunk) => process.stderr.write(chunk));
const client = new Client(
  { name: 'form-client', version: '1.0.0' },
  { capabilities: { elicitation: { form: {} } } },
);
client.setRequestHandler(ElicitRequestSchema, async () => {
  report({ event: 'asked' });
  return { action: 'accept', content: { confirm: true } };
});
await client.connect(transport);
report({ event: 'connected', pid: transport.pid });
const result = await client.callTool({ name: 'generate_ipsec_psk', arguments: JSON.parse(args) }, undefined, {
  timeout: 120_000,
});
report({ event: 'result', result });
await client.close();
