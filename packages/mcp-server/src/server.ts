import type { PskClient } from '@ipsec-psk/core';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { AppConfirmations } from './app-confirmations.js';
import { AppFlow } from './app-flow.js';
import type { AuditRecord } from './audit-log.js';
import type { ConfirmMode } from './config.js';
import { ConfirmationTokens } from './confirmation-tokens.js';
import { FleetRotation } from './fleet/fleet-rotation.js';
import { PROGRESS_INTERVAL_MS } from './keep-alive.js';
import type { FileSystem } from './key-directory.js';
import { type Logger, silentLogger } from './logger.js';
import { Rotation } from './rotation.js';
import { formatTime, unfinishedConsequence } from './rotation-text.js';
import { createSteps } from './steps-factory.js';
import { registerAppTools } from './tools/app-tools.js';
import { registerGenerateIpsecPskTool } from './tools/generate-ipsec-psk.js';
import { registerListIpsecTunnelsTool } from './tools/list-ipsec-tunnels.js';
import { registerRotateIpsecPsksTool } from './tools/rotate-ipsec-psks.js';
import { SERVER_VERSION } from './version.js';
import { registerViewResource } from './view-resource.js';

/** What `createServer` needs; everything but `client` and `pskDir` has a default. */
export interface CreateServerOptions {
  /** The Cloudflare client (`createPskClient` from `@ipsec-psk/core`). */
  client: PskClient;
  /** Where keys, the audit log and the rotation locks are kept. */
  pskDir: string;
  /** Where a key goes when `pskDir` cannot take it after Cloudflare generated it; default none. */
  fallbackDir?: string | undefined;
  /** How real rotations are confirmed; default `auto`. */
  confirmMode?: ConfirmMode;
  /** Put the key itself in results (`IPSEC_PSK_REVEAL=1`); default false. */
  reveal?: boolean;
  /** Let the MCP App's panel show the key to the user, never to the model (`IPSEC_PSK_APP_REVEAL`); default true. */
  appReveal?: boolean;
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
  /** Rotations the audit log shows unfinished at start-up (see `unfinishedRotations`), named in the instructions. */
  unfinished?: readonly AuditRecord[];
  /** The file-system layer for keys, the audit log and locks; default `node:fs/promises` (tests inject faults). */
  files?: FileSystem;
  /** After how long without a refresh a rotation lock counts as left by a dead process; default 10 s. */
  lockStaleMs?: number;
  /** Waits out Cloudflare's rate limit during a bulk rotation; default a real timer (tests need not wait). */
  rateLimitSleep?: (ms: number) => Promise<void>;
  /** Who this server instance acts for (one HTTP session's principal), written on every audit line. */
  principal?: string | undefined;
  /** How often a client that asked for progress hears that a call is alive; default 15 s. */
  progressIntervalMs?: number;
}

/** The MCP server and a way to wait for rotations still running (so a key is stored even if the client left). */
export interface IpsecPskServer {
  server: McpServer;
  /** Resolves when no call of the tool is running. */
  idle(): Promise<void>;
  /** How many calls of the tool are running. */
  inFlight(): number;
}

function instructions(sandbox: boolean, unfinished: readonly AuditRecord[]): string {
  let text =
    'Rotates the pre-shared key of Cloudflare Magic WAN / Magic Transit IPsec tunnels with generate_ipsec_psk; ' +
    'list_ipsec_tunnels (read-only) finds a tunnel id by name and shows how old each key is. ' +
    'Validate first (validate_only=true). A real rotation breaks the tunnel until the new key ' +
    'is configured on the customer device, so it always needs the user’s explicit confirmation; never confirm on ' +
    'their behalf. Keys are written to files on the server machine, not shown.';
  if (sandbox) {
    text = `SANDBOX MODE: this server talks to a local simulator; no real tunnel or account is touched and keys are worthless. ${text}`;
  }
  if (unfinished.length > 0) {
    const list = unfinished
      .map(
        (a) =>
          `tunnel ${a.ipsec_tunnel_id} in account ${a.account_id} (sent ${formatTime(a.time)}: ${unfinishedConsequence(a)})`,
      )
      .join('; ');
    text += ` Tell the user: earlier rotations never recorded their outcome (the server stopped mid-rotation): ${list}.`;
  }
  return text;
}

/** Builds the MCP server; connect it to any transport (stdio in the binary, in-memory in tests). */
export function createServer(options: CreateServerOptions): IpsecPskServer {
  const now = options.now ?? (() => new Date());
  const logger = options.logger ?? silentLogger;
  const server = new McpServer(
    { name: 'ipsec-psk', title: 'IPsec tunnel PSK rotation', version: SERVER_VERSION },
    { instructions: instructions(options.sandbox ?? false, options.unfinished ?? []) },
  );
  const steps = createSteps({
    client: options.client,
    pskDir: options.pskDir,
    fallbackDir: options.fallbackDir,
    logger,
    now,
    reveal: options.reveal ?? false,
    sandbox: options.sandbox ?? false,
    files: options.files,
    lockStaleMs: options.lockStaleMs,
    principal: options.principal,
  });
  const app = new AppConfirmations(() => now().getTime());
  const rotation = new Rotation({
    steps,
    tokens: new ConfirmationTokens(options.confirmationTtlMs, () => now().getTime()),
    app,
    confirmMode: options.confirmMode ?? 'auto',
    defaultAccountId: options.defaultAccountId,
  });
  registerGenerateIpsecPskTool(server, rotation, {
    progressIntervalMs: options.progressIntervalMs ?? PROGRESS_INTERVAL_MS,
  });
  const fleet = new FleetRotation({
    steps,
    tokens: new ConfirmationTokens(options.confirmationTtlMs, () => now().getTime()),
    app,
    confirmMode: options.confirmMode ?? 'auto',
    defaultAccountId: options.defaultAccountId,
    sleep: options.rateLimitSleep,
  });
  registerRotateIpsecPsksTool(server, fleet, {
    progressIntervalMs: options.progressIntervalMs ?? PROGRESS_INTERVAL_MS,
  });
  registerListIpsecTunnelsTool(server, {
    client: options.client,
    defaultAccountId: options.defaultAccountId,
    sandbox: options.sandbox ?? false,
    now,
  });
  registerAppTools(
    server,
    new AppFlow({ steps, app, rotation, fleet, appReveal: options.appReveal ?? true }),
  );
  registerViewResource(server);
  return { server, idle: () => steps.idle(), inFlight: () => steps.inFlight };
}
