import { ConfigError } from '@ipsec-psk/rotation';

/** How clients prove who they are. */
export type HttpAuth =
  | { mode: 'none' }
  /** Operator-issued bearer tokens: the token lists (file and inline), parsed later by bearer-tokens.ts. */
  | { mode: 'tokens'; lists: { text: string; setting: string }[] }
  /** OAuth 2.1 resource server: JWT access tokens from this issuer (typed `at+jwt` only, if required). */
  | { mode: 'oauth'; issuer: URL; requireAtJwt: boolean };

/** Everything the HTTP mode needs beyond the server's own settings, checked. */
export interface HttpConfig {
  host: string;
  port: number;
  /** The URL clients use to reach the MCP endpoint (behind TLS termination: the public https URL). */
  publicUrl: URL;
  auth: HttpAuth;
  /** Host header names accepted (DNS rebinding protection). */
  allowedHosts: string[];
  /** Origin header values accepted; a request without Origin (a server-side client) is not affected. */
  allowedOrigins: string[];
  maxSessions: number;
  /** Open sessions one principal may hold: one principal (a monitoring job) can never take every slot. */
  maxSessionsPerPrincipal: number;
  sessionIdleMs: number;
  /**
   * Per principal and minute: HTTP requests, JSON-RPC calls (each of a batch) and the Cloudflare requests made for
   * them, counted together; and failed authentications, per address.
   */
  rateLimitPerMinute: number;
  /** The largest request body accepted, in bytes. */
  maxBodyBytes: number;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '[::1]']);

export const isLoopbackHost = (host: string) => LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);

/** A bind address as a URL writes it (an IPv6 address in brackets). */
export const urlHost = (host: string) => (host.includes(':') ? `[${host}]` : host);

function setting(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = setting(env, name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed < min || parsed > max) {
    throw new ConfigError(name, `${name} must be a whole number from ${min} to ${max}.`);
  }
  return parsed;
}

function list(env: Record<string, string | undefined>, name: string): string[] | undefined {
  const value = setting(env, name);
  return value
    ?.split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

function url(value: string, name: string, rule: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(name, `${name} must be ${rule}.`);
  }
  if (parsed.username || parsed.password || parsed.hash || parsed.search) {
    throw new ConfigError(name, `${name} must be ${rule}, without credentials, query or fragment.`);
  }
  return parsed;
}

/**
 * Reads the HTTP mode's settings. Authentication is required for any bind that is not loopback: this server can
 * break every tunnel of an account, and the network is not the operator's terminal.
 */
export function loadHttpConfig(
  env: Record<string, string | undefined>,
  flags: { host: string; port: number },
  readFile: (path: string) => string,
): HttpConfig {
  const { port } = flags;
  // A URL writes an IPv6 literal in brackets, and people copy it from there: `[::1]` binds as `::1`.
  const host = /^\[[0-9A-Fa-f:.]+\]$/.test(flags.host) ? flags.host.slice(1, -1) : flags.host;
  const loopback = isLoopbackHost(host);
  const tokensFile = setting(env, 'IPSEC_PSK_HTTP_TOKENS_FILE');
  const tokensInline = setting(env, 'IPSEC_PSK_HTTP_TOKENS');
  const issuer = setting(env, 'IPSEC_PSK_OAUTH_ISSUER');

  let auth: HttpAuth = { mode: 'none' };
  if (issuer !== undefined) {
    if (tokensFile !== undefined || tokensInline !== undefined) {
      throw new ConfigError(
        'IPSEC_PSK_OAUTH_ISSUER',
        'IPSEC_PSK_OAUTH_ISSUER and IPSEC_PSK_HTTP_TOKENS(_FILE) are two ways to authenticate: set one.',
      );
    }
    const strict = setting(env, 'IPSEC_PSK_OAUTH_REQUIRE_AT_JWT') ?? '0';
    if (strict !== '0' && strict !== '1') {
      throw new ConfigError(
        'IPSEC_PSK_OAUTH_REQUIRE_AT_JWT',
        'IPSEC_PSK_OAUTH_REQUIRE_AT_JWT must be 1 (only tokens typed at+jwt, RFC 9068) or 0 (default).',
      );
    }
    auth = {
      mode: 'oauth',
      issuer: url(issuer, 'IPSEC_PSK_OAUTH_ISSUER', "the authorization server's issuer URL"),
      requireAtJwt: strict === '1',
    };
  } else if (tokensFile !== undefined || tokensInline !== undefined) {
    const lists: { text: string; setting: string }[] = [];
    if (tokensFile !== undefined) {
      let text: string;
      try {
        text = readFile(tokensFile);
      } catch (error) {
        if (error instanceof ConfigError) throw error;
        throw new ConfigError(
          'IPSEC_PSK_HTTP_TOKENS_FILE',
          `IPSEC_PSK_HTTP_TOKENS_FILE cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
        );
      }
      lists.push({ text, setting: 'IPSEC_PSK_HTTP_TOKENS_FILE' });
    }
    // Inline lists are one line per token, or tokens separated by commas (an environment variable is one line).
    if (tokensInline !== undefined) {
      lists.push({ text: tokensInline.replaceAll(',', '\n'), setting: 'IPSEC_PSK_HTTP_TOKENS' });
    }
    auth = { mode: 'tokens', lists };
  }
  if (auth.mode === 'none' && !loopback) {
    throw new ConfigError(
      'IPSEC_PSK_HTTP_TOKENS_FILE',
      `Listening on ${host}, which is not loopback, needs authentication: set IPSEC_PSK_HTTP_TOKENS_FILE (bearer ` +
        'tokens) or IPSEC_PSK_OAUTH_ISSUER (OAuth). Without it, anyone who reaches the port could rotate keys.',
    );
  }

  const publicSetting = setting(env, 'IPSEC_PSK_HTTP_PUBLIC_URL');
  if (auth.mode === 'oauth' && publicSetting === undefined) {
    throw new ConfigError(
      'IPSEC_PSK_HTTP_PUBLIC_URL',
      'IPSEC_PSK_HTTP_PUBLIC_URL must be set in OAuth mode: it is the audience access tokens must be issued for.',
    );
  }
  const publicUrl = url(
    publicSetting ?? `http://${urlHost(host)}:${port}/mcp`,
    'IPSEC_PSK_HTTP_PUBLIC_URL',
    'the https URL clients use for the MCP endpoint, e.g. https://psk.example.com/mcp',
  );
  if (publicUrl.protocol !== 'https:' && !isLoopbackHost(publicUrl.hostname)) {
    throw new ConfigError(
      'IPSEC_PSK_HTTP_PUBLIC_URL',
      'IPSEC_PSK_HTTP_PUBLIC_URL must be https unless it is loopback.',
    );
  }

  const allowedHosts = list(env, 'IPSEC_PSK_HTTP_ALLOWED_HOSTS') ?? [
    ...(loopback ? ['localhost', '127.0.0.1', '[::1]'] : []),
    publicUrl.hostname,
  ];
  const allowedOrigins = list(env, 'IPSEC_PSK_HTTP_ALLOWED_ORIGINS') ?? [publicUrl.origin];
  const maxSessions = integer(env, 'IPSEC_PSK_HTTP_MAX_SESSIONS', 32, 1, 10_000);
  return {
    host,
    port,
    publicUrl,
    auth,
    allowedHosts: [...new Set(allowedHosts)],
    allowedOrigins: [...new Set(allowedOrigins)],
    maxSessions,
    maxSessionsPerPrincipal: integer(
      env,
      'IPSEC_PSK_HTTP_MAX_SESSIONS_PER_PRINCIPAL',
      Math.min(8, maxSessions),
      1,
      maxSessions,
    ),
    sessionIdleMs: integer(env, 'IPSEC_PSK_HTTP_SESSION_IDLE_MINUTES', 30, 1, 24 * 60) * 60_000,
    rateLimitPerMinute: integer(env, 'IPSEC_PSK_HTTP_RATE_LIMIT', 120, 1, 100_000),
    maxBodyBytes: 1024 * 1024,
  };
}
