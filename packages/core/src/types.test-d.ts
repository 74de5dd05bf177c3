import { describe, expectTypeOf, it } from 'vitest';
import type { PskClient } from './client.js';
import type { PskErrorCode } from './errors.js';
import type { operations, paths } from './generated/openapi.js';
import type { classifyHealth } from './health.js';
import type { PskGenerated, PskValidated } from './ops/generate-psk.js';
import type { TunnelHealth, TunnelHealthSample } from './ops/tunnel-health.js';
import type { IpsecTunnelDetails } from './ops/tunnels.js';
import type { Secret } from './secret.js';

type GenerateOperation = operations['magic-ipsec-tunnels-generate-pre-shared-key-(-psk)-for-ipsec-tunnels'];
type GenerateSuccess = GenerateOperation['responses'][200]['content']['application/json'];

describe('generated operation types', () => {
  it('declares validate_only as an optional boolean query parameter', () => {
    expectTypeOf<NonNullable<GenerateOperation['parameters']['query']>>().toEqualTypeOf<{
      validate_only?: boolean;
    }>();
  });

  it('requires the psk in a success result, and success is literally true', () => {
    expectTypeOf<GenerateSuccess['result']['psk']>().toEqualTypeOf<string>();
    expectTypeOf<GenerateSuccess['result']['ipsec_tunnel_id']>().toEqualTypeOf<string>();
    expectTypeOf<GenerateSuccess['success']>().toEqualTypeOf<true>();
  });

  it('types the error envelope with success false and a null result', () => {
    type ErrorBody = GenerateOperation['responses']['4XX']['content']['application/json'];
    expectTypeOf<ErrorBody['success']>().toEqualTypeOf<false>();
    expectTypeOf<ErrorBody['result']>().toEqualTypeOf<null>();
  });

  it('has the four tunnel paths and our addition, the GraphQL Analytics API', () => {
    expectTypeOf<keyof paths>().toEqualTypeOf<
      | '/accounts/{account_id}/magic/ipsec_tunnels'
      | '/accounts/{account_id}/magic/ipsec_tunnels/psk'
      | '/accounts/{account_id}/magic/ipsec_tunnels/{ipsec_tunnel_id}/psk_generate'
      | '/accounts/{account_id}/magic/ipsec_tunnels/{ipsec_tunnel_id}'
      | '/graphql'
    >();
  });

  it('types the health query: a request with variables, and groups with a state and names', () => {
    type Query = operations['analytics-graphql-query'];
    type Request = Query['requestBody']['content']['application/json'];
    expectTypeOf<Request['query']>().toEqualTypeOf<string>();
    expectTypeOf<{ accountTag: string }>().toMatchTypeOf<NonNullable<Request['variables']>>();
    type Answer = Query['responses'][200]['content']['application/json'];
    type Group = NonNullable<
      Answer['data']
    >['viewer']['accounts'][number]['magicTransitTunnelHealthChecksAdaptiveGroups'][number];
    expectTypeOf<Group['avg']['tunnelState']>().toEqualTypeOf<number>();
    expectTypeOf<Group['dimensions']>().toEqualTypeOf<{ tunnelName: string; edgeColoName: string }>();
    expectTypeOf<NonNullable<Answer['errors']>[number]['message']>().toEqualTypeOf<string>();
  });

  it('declares validate_only on Set PSKs, and the keys it takes', () => {
    type SetOperation = operations['magic-ipsec-tunnels-set-pre-shared-keys-for-ipsec-tunnels'];
    expectTypeOf<NonNullable<SetOperation['parameters']['query']>>().toEqualTypeOf<{
      validate_only?: boolean;
    }>();
    expectTypeOf<
      NonNullable<SetOperation['requestBody']>['content']['application/json']['psks'][number]
    >().toEqualTypeOf<{ id: string; psk: string }>();
  });
});

describe('client result types', () => {
  it('a persisting call resolves to a wrapped key; a validate-only call has none', () => {
    type Generate = PskClient['generateIpsecPsk'];
    expectTypeOf<ReturnType<(i: { ipsecTunnelId: string }) => ReturnType<Generate>>>().toEqualTypeOf<
      Promise<PskGenerated | PskValidated>
    >();
    expectTypeOf<PskGenerated['psk']>().toEqualTypeOf<Secret>();
    expectTypeOf<PskValidated>().not.toHaveProperty('psk');
    expectTypeOf<Secret['reveal']>().returns.toEqualTypeOf<string>();
  });

  it('overloads narrow on validateOnly', () => {
    const client = {} as PskClient;
    expectTypeOf(
      client.generateIpsecPsk({ ipsecTunnelId: 't', validateOnly: true }),
    ).resolves.toEqualTypeOf<PskValidated>();
    expectTypeOf(client.generateIpsecPsk({ ipsecTunnelId: 't' })).resolves.toEqualTypeOf<PskGenerated>();
  });

  it('tunnel health resolves to samples per name; tunnel details carry the delivery facts', () => {
    expectTypeOf<ReturnType<PskClient['getTunnelHealth']>>().toEqualTypeOf<Promise<TunnelHealth>>();
    expectTypeOf<TunnelHealth['tunnels'][number]['samples'][number]>().toEqualTypeOf<TunnelHealthSample>();
    expectTypeOf<IpsecTunnelDetails['customerEndpoint']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<IpsecTunnelDetails['healthCheckEnabled']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<IpsecTunnelDetails['bgpState']>().toEqualTypeOf<
      'BGP_DOWN' | 'BGP_UP' | 'BGP_ESTABLISHING' | undefined
    >();
    expectTypeOf<ReturnType<typeof classifyHealth>['state']>().toEqualTypeOf<'up' | 'down' | 'unknown'>();
  });

  it('error codes are a closed union', () => {
    expectTypeOf<'analytics_forbidden'>().toMatchTypeOf<PskErrorCode>();
    expectTypeOf<'graphql_error'>().toMatchTypeOf<PskErrorCode>();
    expectTypeOf<'timeout'>().toMatchTypeOf<PskErrorCode>();
    expectTypeOf<'teapot'>().not.toMatchTypeOf<PskErrorCode>();
  });
});
