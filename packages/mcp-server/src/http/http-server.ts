import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { neutralizeText } from '@ipsec-psk/core';
import type { Logger } from '@ipsec-psk/rotation';
import {
  getOAuthProtectedResourceMetadataUrl,
  hostHeaderValidation,
  mcpAuthMetadataRouter,
  requireBearerAuth,
} from '@modelcontextprotocol/express';
import { toNodeHandler, toWebRequest } from '@modelcontextprotocol/node';
import {
  type AuthInfo,
  createMcpHandler,
  isInitializeRequest,
  isLegacyRequest,
  type OAuthMetadata,
  type OAuthTokenVerifier,
} from '@modelcontextprotocol/server';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { ServerFactory } from '../server.js';
import { SCOPES } from './bearer-tokens.js';
import { type HttpConfig, isLoopbackHost, urlHost } from './http-config.js';
import { jsonRpcError, RPC } from './json-rpc.js';
import type { KeyLinks } from './key-links.js';
import { ANONYMOUS, type PrincipalBudget } from './principal-budget.js';
import { requiredScope } from './scopes.js';
import { Sessions } from './sessions.js';

/** What the HTTP mode is started with. */
export interface HttpServerOptions {
  config: HttpConfig;
  /** Verifies bearer tokens; absent only for an unauthenticated loopback server. */
  verifier?: OAuthTokenVerifier | undefined;
  /** The authorization server's metadata, in OAuth mode (for the protected resource metadata document). */
  oauthMetadata?: OAuthMetadata | undefined;
  /** Server instances: one per 2025-11-25 session, one per 2026-07-28 request, all on one rotation engine. */
  factory: ServerFactory;
  /** The one-time pages that show a new key to its user, when there is authentication to bind them to. */
  keyLinks?: KeyLinks | undefined;
  /** Each principal's budget of requests, calls and Cloudflare requests; its fetch is the Cloudflare client's. */
  budget: PrincipalBudget;
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
export function principalOf(auth: AuthInfo | undefined): string | undefined {
  const value = (auth?.extra as { principal?: unknown } | undefined)?.principal;
  return typeof value === 'string' ? neutralizeText(value, 200) : undefined;
}

/** Starts the Streamable HTTP server. */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServerHandle> {
  const { config, logger } = options;
  const path = config.publicUrl.pathname;
  const oauth = config.auth.mode === 'oauth';
  const resourceMetadataUrl = oauth ? getOAuthProtectedResourceMetadataUrl(config.publicUrl) : undefined;
  const { factory } = options;
  const { budget } = options;
  const sessions = new Sessions({
    max: config.maxSessions,
    maxPerPrincipal: config.maxSessionsPerPrincipal,
    idleMs: config.sessionIdleMs,
    create: (principal) => factory.create(principal),
    logger,
  });
  // MCP 2026-07-28: stateless, a server instance per request. Its own 2025 serving is refused (`legacy: 'reject'`):
  // that one is stateless too, so it could never put a confirmation form to a 2025-11-25 client; sessions do that.
  const modern = createMcpHandler((context) => factory.create(principalOf(context.authInfo)), {
    legacy: 'reject',
    onerror: (error) => logger.warn(`a 2026-07-28 request failed (${error.name})`),
  });
  const serveModern = toNodeHandler(modern);

  const app = express();
  app.disable('x-powered-by');
  // For load balancers: no Host check (they probe by address), no authentication, nothing about the sessions.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // DNS rebinding: a page on another site that resolves its name to this server sends its own name as Host.
  app.use(hostHeaderValidation(config.allowedHosts));
  app.use(originCheck(config));
  // Opened in the user's browser, which has no bearer token: each page checks the user's own token itself.
  options.keyLinks?.mount(app);
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
  const tooMany = (res: Response, retryAfterS?: number) =>
    jsonRpcError(
      res,
      429,
      RPC.server,
      `Too many requests: at most ${config.rateLimitPerMinute} a minute (calls and the Cloudflare requests they make).`,
      retryAfterS === undefined ? {} : { 'Retry-After': String(retryAfterS) },
    );
  // Failed authentications (401), per address: guessing tokens costs a budget too. Nothing else counts here.
  const guesses = rateLimit({
    windowMs: 60_000,
    limit: config.rateLimitPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => res.statusCode !== 401,
    keyGenerator: (req) => ipKeyGenerator(req.ip ?? 'unknown'),
    handler: (_req, res) => tooMany(res),
  });
  // Authenticated requests count per principal, whatever address they come from (behind a proxy, all share one).
  const limit = rateLimit({
    windowMs: 60_000,
    limit: config.rateLimitPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    store: budget.store,
    keyGenerator: (req) => principalOf(req.auth) ?? ANONYMOUS,
    validate: { keyGeneratorIpFallback: false },
    handler: (_req, res) => tooMany(res),
  });
  const body = express.json({ limit: config.maxBodyBytes });
  const scope = scopeCheck(resourceMetadataUrl);

  /** A 2025-11-25 session's request: its own session's, or an initialize that opens one. */
  const serveLegacy: RequestHandler = async (req, res) => {
    const principal = principalOf(req.auth);
    const id = req.header('mcp-session-id');
    if (id !== undefined) {
      const session = sessions.find(id, principal);
      if (!session) return jsonRpcError(res, 404, RPC.server, 'Session not found: initialize a new one.');
      return sessions.handle(session, req, res, req.body);
    }
    if (req.method !== 'POST') return jsonRpcError(res, 400, RPC.server, 'Session not found.');
    if (!isInitializeRequest(req.body)) {
      return jsonRpcError(
        res,
        400,
        RPC.invalidRequest,
        'No session: send initialize first (MCP 2025-11-25), or a request with the MCP 2026-07-28 envelope.',
      );
    }
    const started = await sessions.start(principal, req, res, req.body);
    if (started === 'principal_full') {
      return jsonRpcError(
        res,
        429,
        RPC.server,
        `Too many open sessions: at most ${config.maxSessionsPerPrincipal} open sessions per user. Close one (DELETE) or wait for it to go idle.`,
        { 'Retry-After': '60' },
      );
    }
    if (started === 'full') {
      return jsonRpcError(res, 503, RPC.server, 'Too many open sessions; try again later.', {
        'Retry-After': '60',
      });
    }
  };
  // One endpoint for both eras, told apart by the SDK's own classifier: a 2026-07-28 request carries the protocol
  // version in its `_meta` envelope; 2025-11-25 traffic (initialize, session requests, GET and DELETE) does not.
  const serve: RequestHandler = (req, res, next) =>
    // Within the principal's budget: the Cloudflare requests this request's calls make are counted there.
    budget.run(principalOf(req.auth) ?? ANONYMOUS, async () => {
      const legacy = await isLegacyRequest(await toWebRequest(req, req.body), req.body);
      if (legacy) return serveLegacy(req, res, next);
      return serveModern(req, res, req.body);
    });
  const calls = callCount(budget, tooMany);
  app.post(path, guesses, authenticate, limit, body, calls, scope, serve);
  app.get(path, guesses, authenticate, limit, serve);
  app.delete(path, guesses, authenticate, limit, serve);
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
  const url = `http://${urlHost(config.host)}:${port}${path}`;
  options.keyLinks?.listening(new URL(url));
  return {
    url,
    sessions,
    async close() {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([sessions.closeAll(), modern.close()]);
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

/** Protocol versions that had JSON-RPC batches (2025-03-26 only; 2025-06-18 removed them). */
const BATCHING_VERSIONS = new Set(['2025-03-26']);

/**
 * Every JSON-RPC message of a request is a call against the principal's budget (the rate limiter counted the
 * request once). A batch is refused outright in a protocol version without batching (a client that names its
 * version in the header), and as a whole when its calls would spend more than the budget.
 */
function callCount(
  budget: PrincipalBudget,
  tooMany: (res: Response, retryAfterS?: number) => void,
): RequestHandler {
  return async (req, res, next) => {
    if (!Array.isArray(req.body)) return next();
    const version = req.header('mcp-protocol-version');
    if (version !== undefined && !BATCHING_VERSIONS.has(version)) {
      return jsonRpcError(
        res,
        400,
        RPC.invalidRequest,
        `JSON-RPC batches are not part of MCP ${version} (they were removed in 2025-06-18): send one message per request.`,
      );
    }
    const wait = await budget.spendCalls(principalOf(req.auth) ?? ANONYMOUS, req.body.length - 1);
    return wait === undefined ? next() : tooMany(res, wait);
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
