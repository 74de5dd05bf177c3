import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { neutralizeText } from '@ipsec-psk/core';
import type { Logger } from '@ipsec-psk/rotation';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import {
  getOAuthProtectedResourceMetadataUrl,
  mcpAuthMetadataRouter,
} from '@modelcontextprotocol/sdk/server/auth/router.js';
import { hostHeaderValidation } from '@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js';
import type { OAuthMetadata } from '@modelcontextprotocol/sdk/shared/auth.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { IpsecPskServer } from '../server.js';
import { SCOPES } from './bearer-tokens.js';
import { type HttpConfig, isLoopbackHost, urlHost } from './http-config.js';
import { jsonRpcError, RPC } from './json-rpc.js';
import { requiredScope } from './scopes.js';
import { Sessions } from './sessions.js';

/** What the HTTP mode is started with. */
export interface HttpServerOptions {
  config: HttpConfig;
  /** Verifies bearer tokens; absent only for an unauthenticated loopback server. */
  verifier?: OAuthTokenVerifier | undefined;
  /** The authorization server's metadata, in OAuth mode (for the protected resource metadata document). */
  oauthMetadata?: OAuthMetadata | undefined;
  /** A server instance acting for `principal` (one per session). */
  createInstance(principal: string | undefined): IpsecPskServer;
  logger: Logger;
}

/** A running HTTP server. */
export interface HttpServerHandle {
  /** Where it listens (the MCP endpoint). */
  url: string;
  sessions: Sessions;
  /** Stops accepting, withdraws questions waiting for a user, waits for calls already sent, then closes. */
  close(): Promise<void>;
}

/** The principal of an authenticated request, as safe text; undefined without authentication. */
function principalOf(req: Request): string | undefined {
  const value = (req.auth?.extra as { principal?: unknown } | undefined)?.principal;
  return typeof value === 'string' ? neutralizeText(value, 200) : undefined;
}

/** Starts the Streamable HTTP server. */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServerHandle> {
  const { config, logger } = options;
  const path = config.publicUrl.pathname;
  const oauth = config.auth.mode === 'oauth';
  const resourceMetadataUrl = oauth ? getOAuthProtectedResourceMetadataUrl(config.publicUrl) : undefined;
  const sessions = new Sessions({
    max: config.maxSessions,
    idleMs: config.sessionIdleMs,
    create: options.createInstance,
    logger,
  });

  const app = express();
  app.disable('x-powered-by');
  // For load balancers: no Host check (they probe by address), no authentication, nothing about the sessions.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // DNS rebinding: a page on another site that resolves its name to this server sends its own name as Host.
  app.use(hostHeaderValidation(config.allowedHosts));
  app.use(originCheck(config));
  if (oauth && options.oauthMetadata) {
    app.use(
      mcpAuthMetadataRouter({
        oauthMetadata: options.oauthMetadata,
        resourceServerUrl: config.publicUrl,
        scopesSupported: [SCOPES.validate, SCOPES.rotate],
        resourceName: 'ipsec-psk: Cloudflare IPsec tunnel key rotation',
      }),
    );
  }
  const authenticate: RequestHandler = options.verifier
    ? requireBearerAuth({ verifier: options.verifier, resourceMetadataUrl })
    : (_req, _res, next) => next();
  const limit = rateLimit({
    windowMs: 60_000,
    limit: config.rateLimitPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // Authenticated requests count per principal, whatever address they come from (behind a proxy, all share one).
    keyGenerator: (req) => principalOf(req) ?? 'anonymous',
    validate: { keyGeneratorIpFallback: false },
    handler: (_req, res) =>
      jsonRpcError(res, 429, RPC.server, `Too many requests: at most ${config.rateLimitPerMinute} a minute.`),
  });
  const body = express.json({ limit: config.maxBodyBytes });
  const scope = scopeCheck(resourceMetadataUrl);

  app.post(path, authenticate, limit, body, scope, async (req, res) => {
    const principal = principalOf(req);
    const id = req.header('mcp-session-id');
    if (id !== undefined) {
      const session = sessions.find(id, principal);
      if (!session) return jsonRpcError(res, 404, RPC.server, 'Session not found: initialize a new one.');
      return session.transport.handleRequest(req, res, req.body);
    }
    if (!isInitializeRequest(req.body)) {
      return jsonRpcError(
        res,
        400,
        RPC.invalidRequest,
        'No session: send initialize first, without Mcp-Session-Id.',
      );
    }
    const started = await sessions.start(principal);
    if (!started) {
      return jsonRpcError(res, 503, RPC.server, 'Too many open sessions; try again later.', {
        'Retry-After': '60',
      });
    }
    await started.transport.handleRequest(req, res, req.body);
    await started.initialized();
  });
  const existing: RequestHandler = async (req, res) => {
    const id = req.header('mcp-session-id');
    const session = id === undefined ? undefined : sessions.find(id, principalOf(req));
    if (!session) return jsonRpcError(res, id === undefined ? 400 : 404, RPC.server, 'Session not found.');
    await session.transport.handleRequest(req, res);
  };
  app.get(path, authenticate, limit, existing);
  app.delete(path, authenticate, limit, existing);
  // express's default error page is HTML and may quote the request; clients read JSON-RPC.
  app.use((error: { type?: string; status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    if (error?.type === 'entity.too.large') {
      return jsonRpcError(
        res,
        413,
        RPC.invalidRequest,
        `Request body too large (limit ${config.maxBodyBytes} bytes).`,
      );
    }
    if (error?.type === 'entity.parse.failed') return jsonRpcError(res, 400, RPC.parseError, 'Parse error.');
    logger.error(`HTTP request failed (${(error as Error)?.name ?? 'error'})`);
    return jsonRpcError(res, 500, RPC.server, 'Internal error.');
  });

  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(config.port, config.host, () => resolve(listening));
    listening.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${urlHost(config.host)}:${port}${path}`,
    sessions,
    async close() {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await sessions.closeAll();
      // Streams of closed sessions are ended; idle keep-alive connections would hold close() open.
      server.closeIdleConnections();
      await stopped;
    },
  };
}

/**
 * Refuses browser requests from pages of other origins (a request without Origin comes from a server-side client
 * and is not affected). On a loopback bind, local pages (a local inspector) are allowed too.
 */
function originCheck(config: HttpConfig): RequestHandler {
  const loopbackBind = isLoopbackHost(config.host);
  return (req, res, next) => {
    const origin = req.header('origin');
    if (origin === undefined || config.allowedOrigins.includes(origin)) return next();
    let hostname: string | undefined;
    try {
      hostname = new URL(origin).hostname;
    } catch {
      hostname = undefined;
    }
    if (loopbackBind && hostname !== undefined && isLoopbackHost(hostname)) return next();
    return jsonRpcError(res, 403, RPC.server, 'Origin not allowed.');
  };
}

/**
 * Real rotations need `psk:rotate`; listing and validating need `psk:validate`. A call beyond the token's scopes is
 * answered 403 with the scope it needs (MCP's step-up authorization), before the server sees it.
 */
function scopeCheck(resourceMetadataUrl: string | undefined): RequestHandler {
  return (req, res, next) => {
    const scopes = req.auth?.scopes;
    if (scopes === undefined) return next();
    const messages = Array.isArray(req.body) ? req.body : [req.body];
    for (const message of messages) {
      const needed = requiredScope(message);
      if (scopes.includes(needed)) continue;
      const header =
        `Bearer error="insufficient_scope", scope="${needed}", error_description="This call needs ${needed}"` +
        (resourceMetadataUrl ? `, resource_metadata="${resourceMetadataUrl}"` : '');
      return jsonRpcError(res, 403, RPC.server, `Insufficient scope: this call needs ${needed}.`, {
        'WWW-Authenticate': header,
      });
    }
    return next();
  };
}
