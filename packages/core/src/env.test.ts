import { describe, expect, it } from 'vitest';
import { ENV, fromEnv } from './env.js';
import { PskError } from './errors.js';

const TOKEN = 'SENTINEL-env-token-1b2c3d';
const KEY = 'SENTINEL-env-key-4e5f6a';

function failure(env: Record<string, string>): PskError {
  try {
    fromEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(PskError);
    return error as PskError;
  }
  throw new Error('fromEnv accepted the environment');
}

describe('fromEnv', () => {
  it('reads a token, account and base URL under the official SDK names', () => {
    expect(
      fromEnv({
        CLOUDFLARE_API_TOKEN: TOKEN,
        CLOUDFLARE_ACCOUNT_ID: '023e105f4ecef8ad9ca31a8372d0c353',
        CLOUDFLARE_BASE_URL: 'http://127.0.0.1:8787/client/v4/',
      }),
    ).toEqual({
      apiToken: TOKEN,
      apiEmail: undefined,
      apiKey: undefined,
      accountId: '023e105f4ecef8ad9ca31a8372d0c353',
      baseUrl: 'http://127.0.0.1:8787/client/v4',
    });
  });

  it('reads an email and Global API key', () => {
    expect(fromEnv({ CLOUDFLARE_EMAIL: 'ops@example.com', CLOUDFLARE_API_KEY: KEY })).toMatchObject({
      apiEmail: 'ops@example.com',
      apiKey: KEY,
    });
  });

  it('treats an exported-but-empty variable as unset', () => {
    expect(
      fromEnv({ CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_API_KEY: '', CLOUDFLARE_EMAIL: '' }).apiToken,
    ).toBe(TOKEN);
  });

  it.each([
    [
      {},
      ENV.apiToken,
      /No credentials: set CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY/,
    ],
    [{ CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_API_KEY: KEY }, ENV.apiToken, /not both/],
    [{ CLOUDFLARE_API_KEY: KEY }, ENV.apiEmail, /CLOUDFLARE_EMAIL is missing/],
    [{ CLOUDFLARE_API_TOKEN: ` ${TOKEN}` }, ENV.apiToken, /whitespace/],
    [{ CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_ACCOUNT_ID: 'x'.repeat(33) }, ENV.accountId, /1 to 32/],
    [{ CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_BASE_URL: 'http://example.com' }, ENV.baseUrl, /https/],
  ])('%o → names %s, never a value', (env, field, message) => {
    const error = failure(env as Record<string, string>);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
    const everything = `${error.message} ${JSON.stringify(error)} ${error.stack}`;
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(KEY);
  });
});
