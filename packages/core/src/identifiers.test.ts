import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createPskClient } from './client.js';
import { PskError } from './errors.js';
import { IDENTIFIER_MAX_LENGTH } from './identifiers.js';
import { ACCOUNT, fakeFetch, ok, TUNNEL } from './test-support/fake-fetch.js';

const spec = parse(readFileSync(new URL('../../../spec/openapi.yaml', import.meta.url), 'utf8'));

it('the identifier limit mirrors the spec', () => {
  expect(spec.components.schemas.magic_identifier.maxLength).toBe(IDENTIFIER_MAX_LENGTH);
  expect(spec.components.schemas.magic_identifier.minLength).toBe(1);
});

const rejected: [string, unknown][] = [
  ['33 characters', 'a'.repeat(33)],
  ['empty', ''],
  ['a slash', 'abc/def'],
  ['a backslash', 'abc\\def'],
  ['a question mark', 'abc?x=1'],
  ['a hash', 'abc#frag'],
  ['a percent sign', 'abc%2Fdef'],
  ['two dots', 'abc..def'],
  ['a lone dot', '.'],
  ['a space', 'abc def'],
  ['a tab', 'abc\tdef'],
  ['a newline', 'abc\ndef'],
  ['a NUL', 'abc\u0000def'],
  ['DEL', 'abc\u007fdef'],
  ['a line separator', 'abc\u2028def'],
  ['a non-string', 42],
  ['undefined', undefined],
];

describe.each(['accountId', 'ipsecTunnelId'] as const)('%s', (field) => {
  it.each(rejected)('rejects %s before any request, naming the field and the rule', async (_shape, value) => {
    const fetch = fakeFetch(() => ok({ psk: 'x' }));
    const client = createPskClient({ apiToken: 'token-for-id-tests', fetch });
    const ids = { accountId: ACCOUNT, ipsecTunnelId: TUNNEL, [field]: value } as {
      accountId: string;
      ipsecTunnelId: string;
    };
    for (const call of [
      () => client.generateIpsecPsk(ids),
      () => client.generateIpsecPsk({ ...ids, validateOnly: true }),
      () => client.getIpsecTunnel(ids),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PskError);
      expect(error).toMatchObject({ code: 'invalid_input', outcome: 'not_executed', field });
      expect((error as Error).message).toContain(`${field} `);
      expect((error as Error).message).toContain('1 to 32 characters');
    }
    expect(fetch.calls).toHaveLength(0);
  });

  it('does not echo the rejected value, which is often a pasted secret', async () => {
    const pasted = `Bearer-${'S'.repeat(40)}`;
    const client = createPskClient({ apiToken: 'token-for-id-tests', fetch: fakeFetch(() => ok({})) });
    const error = await client
      .generateIpsecPsk({ accountId: ACCOUNT, ipsecTunnelId: TUNNEL, [field]: pasted })
      .catch((e: unknown) => e);
    expect(JSON.stringify(error)).not.toContain(pasted);
    expect((error as Error).message).not.toContain(pasted);
  });

  it('accepts 32 characters and ids with dashes, dots and underscores', async () => {
    const fetch = fakeFetch(() => ok({ psk: 'k3y-value-here', ipsec_tunnel_id: TUNNEL }));
    const client = createPskClient({ apiToken: 'token-for-id-tests', fetch });
    for (const value of ['a'.repeat(32), 'tunnel-1.a_b', 'x']) {
      await client.generateIpsecPsk({ accountId: ACCOUNT, ipsecTunnelId: TUNNEL, [field]: value });
    }
    expect(fetch.calls).toHaveLength(3);
  });
});
