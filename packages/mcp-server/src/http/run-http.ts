import { dirname } from 'node:path';
import { type PskClient, Secret } from '@ipsec-psk/core';
import { KeyDirectory, type Logger, readTrustedFile } from '@ipsec-psk/rotation';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/server';
import { type CreateServerOptions, createServerFactory } from '../server.js';
import { carefulStop, stopOnSignalsAndFaults } from '../shutdown.js';
import { bearerTokenVerifier, parseTokenList } from './bearer-tokens.js';
import { loadHttpConfig } from './http-config.js';
import { principalOf, startHttpServer } from './http-server.js';
import { KeyLinks } from './key-links.js';
import { discoverAuthorizationServer, jwtVerifier } from './oauth.js';
import { PrincipalBudget } from './principal-budget.js';

/** A token file is a line per user; anything larger is a mistake. */
const TOKEN_FILE_MAX_BYTES = 1024 * 1024;

/** What the binary hands the HTTP mode. */
export interface RunHttpOptions {
  flags: { host: string; port: number };
  /** Everything a server instance needs but its principal and the Cloudflare client. */
  server: Omit<CreateServerOptions, 'principal' | 'client'>;
  /** The Cloudflare client, on the fetch given (which counts each request against its principal's budget). */
  makeClient(fetch: typeof globalThis.fetch): PskClient;
  logger: Logger;
  /** Runs after the last session closed (the sandbox's simulator stops). */
  onStopped(): Promise<void>;
}

/**
 * `ipsec-psk-mcp --http`: one process, one server instance per 2025-11-25 session or 2026-07-28 request, on one
 * rotation engine; authentication from the environment.
 * Loaded only in HTTP mode, so the stdio server never loads express.
 */
export async function runHttp(options: RunHttpOptions): Promise<void> {
  const { logger } = options;
  // The token file decides who may rotate keys: read under the key directory's trust rules.
  const config = loadHttpConfig(process.env, options.flags, (path) =>
    readTrustedFile(path, 'IPSEC_PSK_HTTP_TOKENS_FILE', {
      maxBytes: TOKEN_FILE_MAX_BYTES,
      what: 'the token file',
    }),
  );
  let verifier: Parameters<typeof startHttpServer>[0]['verifier'];
  let oauthMetadata: Parameters<typeof startHttpServer>[0]['oauthMetadata'];
  if (config.auth.mode === 'tokens') {
    const entries = config.auth.lists.flatMap(({ text, setting }) => parseTokenList(text, setting));
    verifier = bearerTokenVerifier(entries);
    logger.info(
      `authentication: ${entries.length} bearer token(s) (${entries.map((e) => e.name).join(', ')})`,
    );
  } else if (config.auth.mode === 'oauth') {
    const metadata = await discoverAuthorizationServer(config.auth.issuer);
    oauthMetadata = metadata;
    verifier = jwtVerifier({
      issuer: metadata.issuer,
      audience: config.publicUrl.href,
      jwksUri: new URL(metadata.jwks_uri),
      requireAtJwt: config.auth.requireAtJwt,
    });
    logger.info(`authentication: OAuth access tokens from ${metadata.issuer} for ${config.publicUrl.href}`);
  } else {
    logger.warn('authentication: none (loopback only); anyone on this machine can use the server');
  }

  const keyLinks = verifier ? keyLinksFor(config.publicUrl, verifier) : undefined;
  const budget = new PrincipalBudget(config.rateLimitPerMinute);
  const factory = createServerFactory({
    ...options.server,
    client: options.makeClient(budget.fetch),
    keyLinks,
  });
  const handle = await startHttpServer({
    config,
    verifier,
    oauthMetadata,
    factory,
    keyLinks,
    budget,
    logger,
  });
  logger.info(`listening on ${handle.url}`);

  const { stop } = carefulStop(logger, factory.inFlight, async () => {
    await handle.close();
    // Questions are withdrawn with the connections; a call already sent still reaches its file.
    await factory.idle();
    budget.shutdown();
    await options.onStopped();
  });
  stopOnSignalsAndFaults(logger, stop);
}

/** One-time key pages, each opened only with the access token of the principal it was made for. */
export function keyLinksFor(publicUrl: URL, verifier: OAuthTokenVerifier): KeyLinks {
  return new KeyLinks({
    publicUrl,
    principalOf: (token) =>
      verifier.verifyAccessToken(token).then(
        (auth) => principalOf(auth),
        () => undefined,
      ),
    readKey: async (file) => {
      const text = await new KeyDirectory(dirname(file)).readFile(file);
      return text === undefined ? undefined : new Secret(text);
    },
  });
}
