#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { createPskClient, isPskError } from '@ipsec-psk/core';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ConfigError, loadConfig } from './config.js';
import { stderrLogger } from './logger.js';
import { startSandbox } from './sandbox.js';
import { createServer } from './server.js';
import { SERVER_VERSION } from './version.js';

const USAGE = `ipsec-psk-mcp ${SERVER_VERSION}: MCP server (stdio) with the tool generate_ipsec_psk, which rotates the
pre-shared key of a Cloudflare Magic WAN / Magic Transit IPsec tunnel after the user confirms.

Usage: ipsec-psk-mcp [--sandbox]

Options:
  --sandbox   run against a local in-process Cloudflare simulator: no account or token needed, nothing real changes
  --help      show this help
  --version   show the version

Environment:
  CLOUDFLARE_API_TOKEN                      API token with "Magic WAN Write" or "Magic Transit Write" (preferred)
  CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY     or: account email and Global API key
  CLOUDFLARE_ACCOUNT_ID                     default account when a call names none (optional)
  CLOUDFLARE_BASE_URL                       API base URL (default https://api.cloudflare.com/client/v4)
  IPSEC_PSK_DIR                             absolute directory for new keys (0600 files) and audit.jsonl
                                            (default: the per-user data directory, e.g. ~/.local/share/ipsec-psk)
  IPSEC_PSK_CONFIRM                         auto (default) | elicit | token: how the user confirms a rotation
  IPSEC_PSK_REVEAL                          1: include the key itself in tool results (default 0)
`;

function fail(message: string, exitCode = 1): never {
  process.stderr.write(`ipsec-psk-mcp: ${message}\n`);
  process.exit(exitCode);
}

async function main(): Promise<void> {
  let values: { sandbox?: boolean; help?: boolean; version?: boolean };
  try {
    ({ values } = parseArgs({
      options: { sandbox: { type: 'boolean' }, help: { type: 'boolean' }, version: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(`${(error as Error).message}. Run ipsec-psk-mcp --help.`, 2);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.version) {
    process.stdout.write(`${SERVER_VERSION}\n`);
    return;
  }

  const sandbox = values.sandbox === true;
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env, { sandbox });
  } catch (error) {
    if (error instanceof ConfigError) fail(`${error.message} (see ipsec-psk-mcp --help)`);
    throw error;
  }

  const logger = stderrLogger();
  const simulator = sandbox ? await startSandbox() : undefined;
  let client: ReturnType<typeof createPskClient>;
  try {
    client = simulator?.client ?? createPskClient(config.clientOptions ?? {});
  } catch (error) {
    if (isPskError(error)) fail(error.message);
    throw error;
  }
  const { server, idle } = createServer({
    client,
    pskDir: config.pskDir,
    confirmMode: config.confirmMode,
    reveal: config.reveal,
    sandbox,
    defaultAccountId: simulator?.accountId ?? config.defaultAccountId,
    logger,
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // Closing first ends any question still waiting for the user (nothing is sent then); a rotation already sent
    // does not need the client and must still reach its file, so wait for it before exiting.
    await server.close().catch(() => {});
    await idle();
    await simulator?.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.stdin.on('end', stop);

  await server.connect(new StdioServerTransport());
  logger.info(
    sandbox
      ? `ready in SANDBOX mode (local simulator, nothing real changes); keys go to ${config.pskDir}`
      : `ready; confirmation mode ${config.confirmMode}; keys go to ${config.pskDir}`,
  );
}

main().catch((error: unknown) => {
  fail(`could not start: ${error instanceof Error ? error.message : String(error)}`);
});
