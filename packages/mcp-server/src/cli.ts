#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { createPskClient, isPskError } from '@ipsec-psk/core';
import {
  ConfigError,
  describeFsError,
  stderrLogger,
  unfinishedConsequence,
  unfinishedRotations,
} from '@ipsec-psk/rotation';
import { runStdio } from './run-stdio.js';
import { loadServerConfig, type ServerConfig } from './server-config.js';
import { SERVER_VERSION } from './version.js';

const USAGE = `ipsec-psk-mcp ${SERVER_VERSION}: MCP server (stdio or Streamable HTTP) whose tools rotate the pre-shared keys
of Cloudflare Magic WAN / Magic Transit IPsec tunnels after the user confirms, deliver them to the customer devices
and check the tunnels came back.

Usage: ipsec-psk-mcp [--sandbox] [--http [--host HOST] [--port PORT]]
       ipsec-psk-mcp --new-token NAME

Options:
  --sandbox          run against a local in-process Cloudflare simulator: no account or token needed, nothing
                     real changes; keys and the audit log go to IPSEC_PSK_SANDBOX_DIR (default: the data
                     directory's sandbox/), never IPSEC_PSK_DIR, and nothing is delivered
  --http             serve MCP over Streamable HTTP at /mcp (default: stdio); authentication is required unless
                     HOST is loopback
  --host HOST        address to listen on (default 127.0.0.1)
  --port PORT        port to listen on (default 8787; 0: any free port)
  --new-token NAME   print a new bearer token for NAME and the line to add to IPSEC_PSK_HTTP_TOKENS_FILE
  --help             show this help
  --version          show the version

Environment:
  CLOUDFLARE_API_TOKEN                      API token with "Magic WAN Write" or "Magic Transit Write" (preferred)
  CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY     or: account email and Global API key
  CLOUDFLARE_ACCOUNT_ID                     default account when a call names none (optional)
  CLOUDFLARE_BASE_URL                       API base URL (default https://api.cloudflare.com/client/v4)
  IPSEC_PSK_DIR                             absolute directory for new keys (0600 files) and audit.jsonl
                                            (default: the per-user data directory, e.g. ~/.local/share/ipsec-psk);
                                            must be yours and writable by nobody else
  IPSEC_PSK_FALLBACK_DIR                    absolute directory for a new key IPSEC_PSK_DIR cannot take
                                            (default: <temp dir>/ipsec-psk-recovered-<uid>)
  IPSEC_PSK_CONFIRM                         how the user confirms a rotation: auto (default: a form, else the
                                            MCP App panel, else the two-step token) | human (form or panel only)
                                            | elicit (form only) | app (panel only) | token (two-step only)
  IPSEC_PSK_REVEAL                          1: include the key itself in tool results (default 0)
  IPSEC_PSK_APP_REVEAL                      0: the MCP App panel may not show the key (default 1: it may,
                                            to the user only, never to the model)
  IPSEC_PSK_DELIVERY                        absolute path of the delivery file: where each tunnel's new key
                                            goes (a strongSwan daemon, a program, configuration text)
  IPSEC_PSK_HEALTH_WAIT                     seconds to wait for Cloudflare to see a tunnel up after its key
                                            reached the device (default 120, at most 40 in a tool call; 0: off)

HTTP mode (--http):
  IPSEC_PSK_HTTP_TOKENS_FILE                file of bearer tokens: "NAME sha256:HEX [SCOPE...]" per line
  IPSEC_PSK_HTTP_TOKENS                     the same lines inline, separated by commas
  IPSEC_PSK_OAUTH_ISSUER                    or: accept OAuth access tokens (JWT) from this issuer
  IPSEC_PSK_HTTP_PUBLIC_URL                 the URL clients use (https behind TLS termination); the token
                                            audience in OAuth mode (default http://HOST:PORT/mcp)
  IPSEC_PSK_HTTP_ALLOWED_HOSTS              Host names accepted (default: the public URL's, and loopback names
                                            on a loopback bind)
  IPSEC_PSK_HTTP_ALLOWED_ORIGINS            browser Origins accepted (default: the public URL's)
  IPSEC_PSK_HTTP_MAX_SESSIONS               open sessions at most (default 32)
  IPSEC_PSK_HTTP_MAX_SESSIONS_PER_PRINCIPAL open sessions one principal may hold (default 8)
  IPSEC_PSK_HTTP_SESSION_IDLE_MINUTES       an idle session closes after this long (default 30)
  IPSEC_PSK_HTTP_RATE_LIMIT                 per principal and minute: requests, calls and the Cloudflare
                                            requests they make (default 120)
  IPSEC_PSK_OAUTH_REQUIRE_AT_JWT            1: accept only access tokens typed at+jwt (default 0)
`;

function fail(message: string, exitCode = 1): never {
  process.stderr.write(`ipsec-psk-mcp: ${message}\n`);
  process.exit(exitCode);
}

const OPTIONS = {
  sandbox: { type: 'boolean' },
  http: { type: 'boolean' },
  host: { type: 'string' },
  port: { type: 'string' },
  'new-token': { type: 'string' },
  help: { type: 'boolean' },
  version: { type: 'boolean' },
} as const;

/** `--new-token NAME`: a token for a user, and the line the operator adds to the token list (its hash only). */
async function printNewToken(name: string): Promise<void> {
  const { hashToken, isTokenName, NAME_RULE, newToken } = await import('./http/bearer-tokens.js');
  if (!isTokenName(name)) fail(`--new-token NAME: ${NAME_RULE}.`, 2);
  const token = newToken();
  const line = `${name} ${hashToken(token)}`;
  process.stderr.write(
    'Give the token (first line) to its user, over a channel you trust; it is not stored anywhere.\n' +
      'Add the second line to the file IPSEC_PSK_HTTP_TOKENS_FILE names (append scopes, e.g. "psk:validate", to limit it).\n',
  );
  process.stdout.write(`${token}\n${line}\n`);
}

async function main(): Promise<void> {
  let values: {
    [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean;
  };
  try {
    ({ values } = parseArgs({ options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    fail(`${(error as Error).message}. Run ipsec-psk-mcp --help.`, 2);
  }
  if (values['new-token'] !== undefined) return printNewToken(values['new-token']);
  const port = values.port === undefined ? 8787 : Number(values.port);
  if (!values.http && (values.host !== undefined || values.port !== undefined)) {
    fail('--host and --port need --http. Run ipsec-psk-mcp --help.', 2);
  }
  if (!/^\d+$/.test(values.port ?? '8787') || port > 65_535) {
    fail('--port must be a whole number from 0 to 65535. Run ipsec-psk-mcp --help.', 2);
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
  let config: ServerConfig;
  try {
    config = loadServerConfig(process.env, { sandbox });
  } catch (error) {
    if (error instanceof ConfigError) fail(`${error.message} (see ipsec-psk-mcp --help)`);
    throw error;
  }

  const logger = stderrLogger('ipsec-psk-mcp');
  let unfinished: Awaited<ReturnType<typeof unfinishedRotations>>;
  try {
    unfinished = await unfinishedRotations(config.pskDir);
  } catch (error) {
    fail(`${sandbox ? 'IPSEC_PSK_SANDBOX_DIR' : 'IPSEC_PSK_DIR'} cannot be used: ${describeFsError(error)}.`);
  }
  for (const { attempt, running } of unfinished) {
    logger.warn(
      running
        ? `a rotation of tunnel ${attempt.ipsec_tunnel_id} (account ${attempt.account_id}) sent at ${attempt.time} is still running in another server process`
        : `a rotation of tunnel ${attempt.ipsec_tunnel_id} (account ${attempt.account_id}) sent at ${attempt.time} never recorded its outcome (the server stopped mid-rotation): ${unfinishedConsequence(attempt)}`,
    );
  }
  // Loaded only in sandbox mode, to keep normal start-up lean: the simulator and its spec validation.
  const simulator = sandbox
    ? await (await import('@ipsec-psk/cloudflare-sim')).startSandbox({ stateDir: config.pskDir })
    : undefined;
  const clientOptions = simulator
    ? { apiToken: simulator.apiToken, baseUrl: simulator.url }
    : (config.clientOptions ?? {});
  const makeClient = (fetch?: typeof globalThis.fetch) => {
    try {
      return createPskClient({ ...clientOptions, ...(fetch ? { fetch } : {}) });
    } catch (error) {
      if (isPskError(error)) fail(error.message);
      throw error;
    }
  };
  const client = makeClient();
  const serverOptions = {
    client,
    pskDir: config.pskDir,
    fallbackDir: config.fallbackDir,
    confirmMode: config.confirmMode,
    reveal: config.reveal,
    appReveal: config.appReveal,
    delivery: config.delivery,
    health: config.health,
    sandbox,
    defaultAccountId: simulator?.accountId ?? config.defaultAccountId,
    logger,
    unfinished: unfinished.filter(({ running }) => !running).map(({ attempt }) => attempt),
  };
  if (values.http) {
    const { runHttp } = await import('./http/run-http.js');
    try {
      await runHttp({
        flags: { host: values.host ?? '127.0.0.1', port },
        server: serverOptions,
        makeClient,
        logger,
        onStopped: async () => simulator?.close(),
      });
    } catch (error) {
      if (error instanceof ConfigError) fail(`${error.message} (see ipsec-psk-mcp --help)`);
      throw error;
    }
    return;
  }
  await runStdio({ server: serverOptions, logger, onStopped: async () => simulator?.close() });
  logger.info(
    sandbox
      ? `ready in SANDBOX mode (local simulator, nothing real changes); keys go to ${config.pskDir}`
      : `ready; confirmation mode ${config.confirmMode}; keys go to ${config.pskDir}`,
  );
}

main().catch((error: unknown) => {
  fail(`could not start: ${error instanceof Error ? error.message : String(error)}`);
});
