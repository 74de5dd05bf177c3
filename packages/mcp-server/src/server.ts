import type { PskClient } from '@ipsec-psk/core';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { AuditLog } from './audit-log.js';
import type { ConfirmMode } from './config.js';
import { ConfirmationTokens } from './confirmation-tokens.js';
import { type Logger, silentLogger } from './logger.js';
import { PskStore } from './psk-store.js';
import { Rotation } from './rotation.js';
import { registerGenerateIpsecPskTool } from './tools/generate-ipsec-psk.js';
import { TunnelLocks } from './tunnel-locks.js';
import { SERVER_VERSION } from './version.js';

/** What `createServer` needs; everything but `client` and `pskDir` has a default. */
export interface CreateServerOptions {
  /** The Cloudflare client (`createPskClient` from `@ipsec-psk/core`). */
  client: PskClient;
  /** Where keys and the audit log are written. */
  pskDir: string;
  /** How real rotations are confirmed; default `auto`. */
  confirmMode?: ConfirmMode;
  /** Put the key itself in results (`IPSEC_PSK_REVEAL=1`); default false. */
  reveal?: boolean;
  /** Label everything as sandbox (the client talks to the simulator); default false. */
  sandbox?: boolean;
  /** Account used when a call names none. */
  defaultAccountId?: string | undefined;
  /** Diagnostics sink; default silent. */
  logger?: Logger;
  /** Clock for file names, audit lines and token expiry. */
  now?: () => Date;
  /** Lifetime of two-step confirmation tokens; default 5 minutes. */
  confirmationTtlMs?: number;
}

/** The MCP server and a way to wait for rotations still running (so a key is stored even if the client left). */
export interface IpsecPskServer {
  server: McpServer;
  /** Resolves when no call of the tool is running. */
  idle(): Promise<void>;
}

function instructions(sandbox: boolean): string {
  const base =
    'Rotates the pre-shared key of Cloudflare Magic WAN / Magic Transit IPsec tunnels with one tool, ' +
    'generate_ipsec_psk. Validate first (validate_only=true). A real rotation breaks the tunnel until the new key ' +
    'is configured on the customer device, so it always needs the user’s explicit confirmation; never confirm on ' +
    'their behalf. Keys are written to files on the server machine, not shown.';
  return sandbox
    ? `SANDBOX MODE: this server talks to a local simulator; no real tunnel or account is touched and keys are worthless. ${base}`
    : base;
}

/** Builds the MCP server; connect it to any transport (stdio in the binary, in-memory in tests). */
export function createServer(options: CreateServerOptions): IpsecPskServer {
  const now = options.now ?? (() => new Date());
  const logger = options.logger ?? silentLogger;
  const server = new McpServer(
    { name: 'ipsec-psk', title: 'IPsec tunnel PSK rotation', version: SERVER_VERSION },
    { instructions: instructions(options.sandbox ?? false) },
  );
  const rotation = new Rotation({
    client: options.client,
    store: new PskStore(options.pskDir, now),
    audit: new AuditLog(options.pskDir, now),
    tokens: new ConfirmationTokens(options.confirmationTtlMs, () => now().getTime()),
    locks: new TunnelLocks(),
    logger,
    confirmMode: options.confirmMode ?? 'auto',
    reveal: options.reveal ?? false,
    sandbox: options.sandbox ?? false,
    defaultAccountId: options.defaultAccountId,
  });
  registerGenerateIpsecPskTool(server, rotation);
  return { server, idle: () => rotation.idle() };
}
