import {
  type AuditRecord,
  createEngine,
  type EngineOptions,
  formatTime,
  unfinishedConsequence,
} from '@ipsec-psk/rotation';
import { McpServer } from '@modelcontextprotocol/server';
import { APP_TOOLS } from './app-tool-names.js';
import { PROGRESS_INTERVAL_MS } from './keep-alive.js';
import { listAppToolsOnlyToApps } from './tools/app-only.js';
import { registerAppTools } from './tools/app-tools.js';
import { registerCheckHealthTool } from './tools/check-ipsec-tunnel-health.js';
import { registerGenerateIpsecPskTool } from './tools/generate-ipsec-psk.js';
import type { KeyLinkOffer } from './tools/key-page.js';
import { registerListIpsecTunnelsTool } from './tools/list-ipsec-tunnels.js';
import { registerRestoreIpsecPskTool } from './tools/restore-ipsec-psk.js';
import { registerRotateIpsecPsksTool } from './tools/rotate-ipsec-psks.js';
import { SERVER_VERSION } from './version.js';
import { registerViewResource } from './view-resource.js';

/** What `createServer` needs: the rotation engine's options (only `client` and `pskDir` are required), and more. */
export interface CreateServerOptions extends EngineOptions {
  /** Rotations the audit log shows unfinished at start-up (see `unfinishedRotations`), named in the instructions. */
  unfinished?: readonly AuditRecord[];
  /** How often a client that asked for progress hears that a call is alive; default 15 s. */
  progressIntervalMs?: number;
  /** Over HTTP with authentication: one-time pages that show a new key to its user (URL-mode elicitation). */
  keyLinks?: KeyLinkOffer | undefined;
}

/**
 * Server instances for every connection (stdio), session (HTTP, MCP 2025-11-25) or request (HTTP, MCP 2026-07-28)
 * of one process, on one rotation engine: one key directory, one set of confirmations, one count of calls in flight.
 */
export interface ServerFactory {
  /** A server instance acting for `principal` (undefined on stdio and without authentication). */
  create(principal?: string | undefined): McpServer;
  /** Resolves when no call of any instance is running. */
  idle(): Promise<void>;
  /** How many calls of all instances are running. */
  inFlight(): number;
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
    'list_ipsec_tunnels (read-only) finds a tunnel id by name and shows how old each key is; rotate_ipsec_psks ' +
    'rotates several at once; check_ipsec_tunnel_health (read-only) asks whether Cloudflare sees tunnels up; ' +
    'restore_ipsec_psk puts a previous key back when delivering a new one to the device failed. ' +
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

/** Builds the factory of server instances; connect an instance to any transport, or serve the factory. */
export function createServerFactory(options: CreateServerOptions): ServerFactory {
  const engine = createEngine(options);
  const progress = { progressIntervalMs: options.progressIntervalMs ?? PROGRESS_INTERVAL_MS };
  const text = instructions(options.sandbox ?? false, options.unfinished ?? []);
  return {
    create(principal) {
      const flows = engine.forPrincipal(principal);
      const server = new McpServer(
        { name: 'ipsec-psk', title: 'IPsec tunnel PSK rotation', version: SERVER_VERSION },
        {
          instructions: text,
          // The tool list never changes while the server runs: no list_changed to listen for.
          capabilities: { tools: { listChanged: false } },
          // A form's answer (MCP 2026-07-28) comes back with the state we signed; anything else is refused before
          // a tool sees it. Spending it, and checking what it confirms, is the rotation engine's job.
          requestState: {
            verify: async (state) => {
              if (!(await flows.tokens.isSigned(state))) throw new Error('requestState not signed here');
              return state;
            },
          },
        },
      );
      registerGenerateIpsecPskTool(server, flows.rotation, {
        ...progress,
        keyPage:
          options.keyLinks && principal !== undefined ? { links: options.keyLinks, principal } : undefined,
      });
      registerRotateIpsecPsksTool(server, flows.fleet, progress);
      registerRestoreIpsecPskTool(server, flows.restore, progress);
      registerListIpsecTunnelsTool(server, {
        client: options.client,
        defaultAccountId: options.defaultAccountId,
        sandbox: options.sandbox ?? false,
        now: options.now ?? (() => new Date()),
      });
      registerCheckHealthTool(server, {
        client: options.client,
        defaultAccountId: options.defaultAccountId,
        sandbox: options.sandbox ?? false,
      });
      registerAppTools(server, flows.panel);
      listAppToolsOnlyToApps(server, Object.values(APP_TOOLS));
      registerViewResource(server);
      return server;
    },
    idle: () => engine.idle(),
    inFlight: () => engine.inFlight(),
  };
}

/** Builds one MCP server instance; connect it to any transport (in-memory in tests, a program's own). */
export function createServer(options: CreateServerOptions): IpsecPskServer {
  const factory = createServerFactory(options);
  return { server: factory.create(options.principal), idle: factory.idle, inFlight: factory.inFlight };
}
