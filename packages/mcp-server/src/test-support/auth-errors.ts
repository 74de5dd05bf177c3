import type { OAuthTokenVerifier } from '@modelcontextprotocol/server';
import { TOKEN_PREFIX } from '../http/bearer-tokens.js';

/** The token-list setting the tests name. */
export const SETTING = 'IPSEC_PSK_HTTP_TOKENS_FILE';
/** A bearer token no output may ever contain. */
export const SENTINEL_TOKEN = `${TOKEN_PREFIX}SENTINELbearerTokenQ7w8e9r0t1y2u3i4o5p6a7s8d9f0g1h`;

/** Everything an error could carry to a log or a client. */
export function everything(error: unknown): string {
  const e = error as Error & { toResponseObject?: () => unknown };
  return [
    String(e),
    e.message,
    e.stack ?? '',
    JSON.stringify(e),
    JSON.stringify(e.toResponseObject?.() ?? null),
    String((e as { cause?: unknown }).cause ?? ''),
  ].join('\n');
}

/** The error a verifier refuses `token` with; fails the test when it accepts it. */
export async function refusal(verifier: OAuthTokenVerifier, token: string): Promise<Error> {
  try {
    await verifier.verifyAccessToken(token);
  } catch (error) {
    return error as Error;
  }
  throw new Error('the verifier accepted the token');
}
