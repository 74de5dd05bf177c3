import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createPskClient, type PskClientOptions } from '../client.js';
import { generatePsk } from '../psk.js';
import { Secret } from '../secret.js';
import {
  ACCOUNT,
  cfError,
  fakeFetch,
  json,
  networkError,
  ok,
  rejection,
  TUNNEL,
} from '../test-support/fake-fetch.js';

// Keys the caller provides are as secret as the ones Cloudflare generates.
const KEY_A = 'SENTINELsetKeyA7q2W9e4R1t6Y3u8I';
const KEY_B = 'SENTINELsetKeyB5z1X8c3V6b9N2m4Q';
const OTHER = 'b'.repeat(32);

function client(fetch: typeof globalThis.fetch, options: Partial<PskClientOptions> = {}) {
  return createPskClient({
    apiToken: 'test-token-value',
    fetch,
    accountId: ACCOUNT,
    sleep: async () => {},
    ...options,
  });
}

const applied = (id: string, psk: string) => ({
  ipsec_tunnel_id: id,
  ipsec_id: `${ACCOUNT}_${id}`,
  psk,
  psk_metadata: { last_generated_on: '2026-11-27T10:00:00Z' },
});

const both = [
  { ipsecTunnelId: TUNNEL, psk: new Secret(KEY_A) },
  { ipsecTunnelId: OTHER, psk: KEY_B },
];

describe('setIpsecPsks: the request', () => {
  it('posts the keys as Cloudflare documents them, with validate_only only when asked', async () => {
    const fetch = fakeFetch(() => ok({ successfully_applied_psks: {}, unapplied_psks: {} }));
    await client(fetch).setIpsecPsks({ psks: both, validateOnly: true });
    await client(fetch).setIpsecPsks({ psks: both });
    expect(fetch.calls.map((call) => `${call.method} ${call.url.pathname}${call.url.search}`)).toEqual([
      `POST /client/v4/accounts/${ACCOUNT}/magic/ipsec_tunnels/psk?validate_only=true`,
      `POST /client/v4/accounts/${ACCOUNT}/magic/ipsec_tunnels/psk`,
    ]);
    expect(JSON.parse(fetch.calls[1]?.body ?? '')).toEqual({
      psks: [
        { id: TUNNEL, psk: KEY_A },
        { id: OTHER, psk: KEY_B },
      ],
    });
    expect(fetch.calls[1]?.redirect).toBe('manual');
  });

  it.each([
    ['no keys', { psks: [] }, 'psks'],
    ['a bad tunnel id', { psks: [{ ipsecTunnelId: 'a/b', psk: KEY_A }] }, 'psks[0].ipsecTunnelId'],
    [
      'the same tunnel twice',
      { psks: [both[0], { ipsecTunnelId: TUNNEL, psk: KEY_B }] },
      'psks[1].ipsecTunnelId',
    ],
    ['an empty key', { psks: [{ ipsecTunnelId: TUNNEL, psk: '' }] }, 'psks[0].psk'],
    ['a key with a line break', { psks: [{ ipsecTunnelId: TUNNEL, psk: `${KEY_A}\n` }] }, 'psks[0].psk'],
  ])('%s: invalid_input naming %s, nothing sent, no key in the message', async (_case, input, field) => {
    const fetch = fakeFetch(() => ok({}));
    const error = await rejection(client(fetch).setIpsecPsks(input as never));
    expect(error).toMatchObject({ code: 'invalid_input', field, outcome: 'not_executed' });
    expect(error.message).not.toContain(KEY_A);
    expect(fetch.calls).toHaveLength(0);
  });
});

describe('setIpsecPsks: the answer, per tunnel', () => {
  it('tells applied from unapplied (with Cloudflare’s reason, neutralised) and from unreported', async () => {
    const third = 'c'.repeat(32);
    const fetch = fakeFetch(() =>
      ok({
        successfully_applied_psks: { [TUNNEL]: applied(TUNNEL, KEY_A) },
        unapplied_psks: { [OTHER]: 'tunnel\nis\u202e busy' },
      }),
    );
    const result = await client(fetch).setIpsecPsks({
      psks: [...both, { ipsecTunnelId: third, psk: 'SENTINELthirdKey0a1b2c3d4e5f6g7' }],
    });
    expect(result.applied).toHaveLength(1);
    expect(result.applied[0]).toMatchObject({
      ipsecTunnelId: TUNNEL,
      echoMatches: true,
      lastGeneratedOn: '2026-11-27T10:00:00Z',
      ipsecId: `${ACCOUNT}_${TUNNEL}`,
    });
    expect(result.applied[0]?.psk.reveal()).toBe(KEY_A);
    expect(result.unapplied).toEqual([{ ipsecTunnelId: OTHER, reason: 'tunnel is busy' }]);
    expect(result.unreported).toEqual([third]);
    expect(inspect(result, { depth: 5 })).not.toContain(KEY_A);
    expect(JSON.stringify(result)).not.toContain(KEY_A);
  });

  it('a key Cloudflare echoes differently is the one in force, and flagged', async () => {
    const fetch = fakeFetch(() =>
      ok({ successfully_applied_psks: { [TUNNEL]: applied(TUNNEL, 'SENTINELechoedDifferent9x8y7z6') } }),
    );
    const result = await client(fetch).setIpsecPsks({ psks: [both[0] as never] });
    expect(result.applied[0]?.echoMatches).toBe(false);
    expect(result.applied[0]?.psk.reveal()).toBe('SENTINELechoedDifferent9x8y7z6');
  });

  it('ignores tunnels the request did not name', async () => {
    const fetch = fakeFetch(() => ok({ successfully_applied_psks: { [OTHER]: applied(OTHER, KEY_B) } }));
    const result = await client(fetch).setIpsecPsks({ psks: [both[0] as never] });
    expect(result.applied).toEqual([]);
    expect(result.unreported).toEqual([TUNNEL]);
  });
});

describe('setIpsecPsks: outcomes', () => {
  it('repeats the same keys after a reset or a 5xx (safe: the keys are the caller’s), then reports', async () => {
    const fetch = fakeFetch(
      () => Promise.reject(networkError('ECONNRESET')),
      () => cfError(502, 1000, 'bad gateway'),
      () => ok({ successfully_applied_psks: { [TUNNEL]: applied(TUNNEL, KEY_A) } }),
    );
    const result = await client(fetch).setIpsecPsks({ psks: [both[0] as never] });
    expect(result.applied.map((a) => a.ipsecTunnelId)).toEqual([TUNNEL]);
    expect(fetch.calls).toHaveLength(3);
    expect(new Set(fetch.calls.map((call) => call.body)).size).toBe(1);
  });

  it('with retry: false, an unknown outcome is reported at once, as unknown', async () => {
    const fetch = fakeFetch(() => cfError(500, 1000, 'oops'));
    const error = await rejection(client(fetch).setIpsecPsks({ psks: both, retry: false }));
    expect(error).toMatchObject({ code: 'api_error', outcome: 'unknown', status: 500 });
    expect(fetch.calls).toHaveLength(1);
  });

  it('a 4xx is a refusal: not executed, not retried', async () => {
    const fetch = fakeFetch(() => cfError(400, 1002, 'bad psk'));
    const error = await rejection(client(fetch).setIpsecPsks({ psks: both }));
    expect(error).toMatchObject({ code: 'bad_request', outcome: 'not_executed' });
    expect(fetch.calls).toHaveLength(1);
  });

  it('never puts a provided key into an error, whatever Cloudflare quotes', async () => {
    for (const status of [400, 500]) {
      const fetch = fakeFetch(() =>
        json(status, {
          success: false,
          errors: [{ code: 1000, message: `cannot apply ${KEY_A} or ${KEY_B}` }],
          messages: [],
          result: null,
        }),
      );
      const error = await rejection(
        client(fetch, { retry: { maxAttempts: 1 } }).setIpsecPsks({ psks: both }),
      );
      const printed = `${error.message} ${inspect(error, { depth: 5 })} ${JSON.stringify(error)}`;
      expect(printed).not.toContain(KEY_A);
      expect(printed).not.toContain(KEY_B);
      expect(printed).toContain('[redacted]');
    }
  });

  it('takes generated keys as they come', async () => {
    const key = generatePsk();
    const fetch = fakeFetch(() =>
      ok({ successfully_applied_psks: { [TUNNEL]: applied(TUNNEL, key.reveal()) } }),
    );
    const result = await client(fetch).setIpsecPsks({ psks: [{ ipsecTunnelId: TUNNEL, psk: key }] });
    expect(result.applied[0]?.echoMatches).toBe(true);
  });
});
