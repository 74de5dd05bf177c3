import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPskClient } from './client.js';
import { ACCOUNT, cfError, fakeFetch, networkError, ok, TUNNEL } from './test-support/fake-fetch.js';

// Unique values that must never surface anywhere but `psk.reveal()`.
const TOKEN = 'SENTINELtokenQ7w2x9v4Zr8';
const GLOBAL_KEY = 'SENTINELkeyM3n6b1c5Vt0';
const PSK = 'SENTINELpskH4j8k2L6p0s3';
// A truncated body can cut the key anywhere; its first characters are what a parser would quote.
const PSK_PREFIX = PSK.slice(0, 12);

function everythingPrinted(value: unknown): string {
  const parts = [String(value), inspect(value, { depth: 10, showHidden: true }), JSON.stringify(value) ?? ''];
  let cause: unknown = value;
  for (let depth = 0; depth < 6 && cause instanceof Error; depth++) {
    parts.push(cause.message, cause.stack ?? '', inspect(cause, { depth: 10 }));
    cause = cause.cause;
  }
  return parts.join('\n');
}

function assertClean(text: string): void {
  for (const secret of [TOKEN, GLOBAL_KEY, PSK, PSK_PREFIX]) expect(text).not.toContain(secret);
}

const written: string[] = [];
beforeEach(() => {
  written.length = 0;
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      written.push(args.map((a) => inspect(a)).join(' '));
    });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
  // Nothing this package does may print; and certainly nothing secret.
  expect(written).toEqual([]);
});

// Each answer echoes the client's own credential, as a careless server or proxy might.
const failingAnswers = (credential: string): [string, Parameters<typeof fakeFetch>[0]][] => [
  [
    'a truncated body cut inside the key',
    () => new Response(`{"success":true,"result":{"psk":"${PSK_PREFIX}`),
  ],
  [
    'malformed JSON quoting the key',
    () => new Response(`{"result":{"psk":"${PSK}"}} trailing`, { status: 200 }),
  ],
  ['a 400 that echoes the credential', () => cfError(400, 6003, `Invalid header value ${credential}`)],
  ['a 403 that echoes the credential', () => cfError(403, 10000, `bad credential ${credential}`)],
  ['a 500 that echoes the credential', () => cfError(500, 1000, `oops ${credential}`)],
  [
    'a fetch failure whose message quotes the token',
    () => {
      throw new TypeError(`fetch failed for ${credential}`, {
        cause: Object.assign(new Error(`socket hang up ${credential}`), { code: 'ECONNRESET' }),
      });
    },
  ],
  ['a refused connection', () => Promise.reject(networkError('ECONNREFUSED'))],
  ['a 429', () => cfError(429, 971, 'Please wait', { 'Retry-After': '5' })],
];

describe.each([
  ['an API token', { apiToken: TOKEN }, TOKEN],
  ['a Global API key', { apiEmail: 'ops@example.com', apiKey: GLOBAL_KEY }, GLOBAL_KEY],
])('with %s', (_name, credentials, credential) => {
  it.each(failingAnswers(credential))(
    '%s: no secret in the error, its cause, inspect or JSON',
    async (_case, respond) => {
      const client = createPskClient({
        ...credentials,
        fetch: fakeFetch(respond),
        retry: { maxAttempts: 1 },
      });
      for (const validateOnly of [false, true]) {
        const error = await client
          .generateIpsecPsk({ accountId: ACCOUNT, ipsecTunnelId: TUNNEL, validateOnly })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(Error);
        assertClean(everythingPrinted(error));
      }
      const tunnelError = await client
        .getIpsecTunnel({ accountId: ACCOUNT, ipsecTunnelId: TUNNEL })
        .catch((e: unknown) => e);
      assertClean(everythingPrinted(tunnelError));
      const healthError = await client
        .getTunnelHealth({ accountId: ACCOUNT, tunnelNames: ['fra-1'], since: new Date(Date.now() - 60_000) })
        .catch((e: unknown) => e);
      expect(healthError).toBeInstanceOf(Error);
      assertClean(everythingPrinted(healthError));
    },
  );

  // GraphQL errors sit outside Cloudflare's envelope, so they have their own way into messages.
  it.each([
    ['a 200 whose GraphQL error echoes the credential', 200, `not authorized for that account ${credential}`],
    ['a 403 whose GraphQL error echoes the credential', 403, `token ${credential} is not authorized`],
    ['a 400 whose GraphQL error echoes the credential', 400, `unknown field "${credential}"`],
    ['a 503 whose GraphQL error echoes the credential', 503, `unable to execute query for ${credential}`],
  ])('%s: the health error never carries it', async (_case, status, message) => {
    const client = createPskClient({
      ...credentials,
      retry: { maxAttempts: 1 },
      fetch: fakeFetch(
        () =>
          new Response(JSON.stringify({ data: null, errors: [{ message, path: null }] }), {
            status,
            headers: { 'Content-Type': 'application/json' },
          }),
      ),
    });
    const error = await client
      .getTunnelHealth({ accountId: ACCOUNT, tunnelNames: ['fra-1'], since: new Date(Date.now() - 60_000) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const printed = everythingPrinted(error);
    assertClean(printed);
    expect(printed).toContain('[redacted]');
  });

  it('a success: the key is only reachable through reveal()', async () => {
    const client = createPskClient({
      ...credentials,
      fetch: fakeFetch(() => ok({ ipsec_tunnel_id: TUNNEL, psk: PSK })),
    });
    const result = await client.generateIpsecPsk({ accountId: ACCOUNT, ipsecTunnelId: TUNNEL });
    assertClean(everythingPrinted(result));
    assertClean(`${result.psk} ${JSON.stringify({ result })}`);
    expect(result.psk.reveal()).toBe(PSK);
  });

  it('the client object itself does not print its credentials', () => {
    const client = createPskClient({ ...credentials, fetch: fakeFetch(() => ok({})) });
    assertClean(inspect(client, { depth: 3 }));
  });
});

it('a credential with a line break is refused without quoting it', () => {
  let error: unknown;
  try {
    createPskClient({ apiToken: `${TOKEN}\r\nX-Evil: 1` });
  } catch (e) {
    error = e;
  }
  expect(error).toMatchObject({ code: 'invalid_input', field: 'apiToken' });
  assertClean(everythingPrinted(error));
});

// #7.13: Cloudflare's own text goes into messages. If an error envelope carries a `psk` field, or its text quotes a
// key, the key must still never reach a message, a cause or anything printed.
describe('#7.13 keys quoted by Cloudflare', () => {
  const KEY = 'Q7wK2x9vZr8mN3b6c1Vt0pL4s8dF5gH2';
  const client = (respond: Parameters<typeof fakeFetch>[0]) =>
    createPskClient({ apiToken: TOKEN, fetch: fakeFetch(respond), retry: { maxAttempts: 1 } });
  const errorEnvelope = (status: number, message: string, result: unknown = null) =>
    new Response(
      JSON.stringify({ success: false, errors: [{ code: 1000, message }], messages: [], result }),
      { status, headers: { 'Content-Type': 'application/json' } },
    );

  it.each([
    [
      'a 400 with a psk field and a message quoting it',
      () => errorEnvelope(400, `psk ${PSK} rejected`, { psk: PSK }),
    ],
    [
      'a 500 with a psk field and a message quoting it',
      () => errorEnvelope(500, `could not store ${PSK}`, { psk: PSK }),
    ],
    [
      'a 409 whose message quotes a generated-looking key',
      () => errorEnvelope(409, `key ${KEY} is already in use`),
    ],
    ['a 502 whose message quotes a generated-looking key', () => errorEnvelope(502, `upstream kept ${KEY}`)],
    [
      'a psk field nested in errors',
      () =>
        new Response(
          JSON.stringify({
            success: false,
            errors: [{ code: 1000, message: `bad ${PSK}`, meta: { psk: PSK } }],
            messages: [],
            result: null,
          }),
          { status: 400, headers: { 'Content-Type': 'application/json' } },
        ),
    ],
  ])('%s: the error never carries the key', async (_name, respond) => {
    for (const validateOnly of [false, true]) {
      const error = await client(respond)
        .generateIpsecPsk({ accountId: ACCOUNT, ipsecTunnelId: TUNNEL, validateOnly })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      const printed = everythingPrinted(error);
      assertClean(printed);
      expect(printed).not.toContain(KEY);
      expect(printed).toContain('[redacted]');
    }
  });

  it('messages[] of a success that quote the new key are scrubbed', async () => {
    const result = await client(
      () =>
        new Response(
          JSON.stringify({
            success: true,
            errors: [],
            messages: [{ code: 1000, message: `Generated ${PSK} for the tunnel` }],
            result: { ipsec_tunnel_id: TUNNEL, psk: PSK },
          }),
          { status: 200, headers: { 'Content-Type': 'application/json' } },
        ),
    ).generateIpsecPsk({ accountId: ACCOUNT, ipsecTunnelId: TUNNEL });
    expect(result.psk.reveal()).toBe(PSK);
    expect(result.messages[0]?.message).toBe('Generated [redacted] for the tunnel');
  });

  it('tunnel ids in Cloudflare text are not mistaken for keys', async () => {
    const error = await client(() => errorEnvelope(404, `Tunnel ${TUNNEL} not found`))
      .generateIpsecPsk({ accountId: ACCOUNT, ipsecTunnelId: TUNNEL })
      .catch((e: unknown) => e);
    expect((error as Error).message).toContain(TUNNEL);
  });
});
