import { describe, expect, it } from 'vitest';
import { createPskClient } from '../client.js';
import { ACCOUNT, fakeFetch, ok, TUNNEL } from '../test-support/fake-fetch.js';
import { isIpv4Address, isIpv6Address, tunnelFacts } from './tunnel-facts.js';

const complete = {
  id: TUNNEL,
  name: 'branch_a',
  cloudflare_endpoint: '162.159.66.164',
  customer_endpoint: '203.0.113.10',
  interface_address: '10.213.0.0/31',
  interface_address6: '2606:54c1:7:0:a9fe:12d2:1:200/127',
  custom_remote_identities: { fqdn_id: 'branch-a.12345678.custom.ipsec.cloudflare.com' },
  health_check: {
    enabled: true,
    type: 'reply',
    direction: 'unidirectional',
    rate: 'mid',
    target: '203.0.113.10',
  },
  replay_protection: false,
  allow_null_cipher: true,
  bgp: { customer_asn: 65010 },
  bgp_status: { state: 'BGP_UP', tcp_established: true, updated_at: '2026-11-27T00:20:00Z' },
};

describe('the delivery facts of a tunnel', () => {
  it('getIpsecTunnel and listIpsecTunnels carry each fact Cloudflare sent in the documented shape', async () => {
    const facts = {
      cloudflareEndpoint: '162.159.66.164',
      customerEndpoint: '203.0.113.10',
      interfaceAddress: '10.213.0.0/31',
      interfaceAddress6: '2606:54c1:7:0:a9fe:12d2:1:200/127',
      customRemoteIdentity: 'branch-a.12345678.custom.ipsec.cloudflare.com',
      healthCheckEnabled: true,
      replayProtection: false,
      allowNullCipher: true,
      bgpState: 'BGP_UP',
    };
    const client = createPskClient({
      apiToken: 'test-token-value',
      accountId: ACCOUNT,
      fetch: fakeFetch(
        () => ok({ ipsec_tunnel: complete }),
        () => ok({ ipsec_tunnels: [complete] }),
      ),
    });
    expect(await client.getIpsecTunnel({ ipsecTunnelId: TUNNEL })).toMatchObject(facts);
    expect((await client.listIpsecTunnels())[0]).toMatchObject(facts);
  });

  it('a tunnel without the optional fields has those facts undefined', () => {
    expect(
      tunnelFacts({
        id: TUNNEL,
        name: 'n',
        cloudflare_endpoint: '203.0.113.1',
        interface_address: '10.0.0.0/31',
      }),
    ).toEqual({
      cloudflareEndpoint: '203.0.113.1',
      customerEndpoint: undefined,
      interfaceAddress: '10.0.0.0/31',
      interfaceAddress6: undefined,
      customRemoteIdentity: undefined,
      healthCheckEnabled: undefined,
      replayProtection: undefined,
      allowNullCipher: undefined,
      bgpState: undefined,
    });
  });

  it.each([
    [
      'customer_endpoint',
      'customerEndpoint',
      ['example.com', '203.0.113.010', '203.0.113.1 ', '256.1.1.1', '1.2.3', 7, '203.0.113.1\n'],
    ],
    ['cloudflare_endpoint', 'cloudflareEndpoint', ['162.159.66.164/32', 'fe80::1%eth0', '[::1]', '']],
    [
      'interface_address',
      'interfaceAddress',
      ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/031', '10.0.0.0/31/1', '2001:db8::/127', 'x/31'],
    ],
    [
      'interface_address6',
      'interfaceAddress6',
      ['2001:db8::', '2001:db8::/129', '10.0.0.0/31', '2001:db8::g/127'],
    ],
  ])('%s: anything but the documented shape is left undefined', (field, fact, values) => {
    for (const value of values)
      expect(tunnelFacts({ [field]: value })[fact as 'customerEndpoint'], String(value)).toBeUndefined();
  });

  it('accepts IPv6 endpoints and the custom IKE ID only in Cloudflare’s form', () => {
    expect(tunnelFacts({ customer_endpoint: '2001:db8::10' }).customerEndpoint).toBe('2001:db8::10');
    expect(tunnelFacts({ customer_endpoint: '::ffff:203.0.113.1' }).customerEndpoint).toBe(
      '::ffff:203.0.113.1',
    );
    for (const fqdn of [
      'lbl.123.ipsec.cloudflare.com',
      'lbl.custom.ipsec.cloudflare.com',
      'a.b.c.custom.ipsec.cloudflare.com',
      '-a.123.custom.ipsec.cloudflare.com',
      'a.123.custom.ipsec.cloudflare.com.evil.example',
      'a b.123.custom.ipsec.cloudflare.com',
    ]) {
      expect(
        tunnelFacts({ custom_remote_identities: { fqdn_id: fqdn } }).customRemoteIdentity,
        fqdn,
      ).toBeUndefined();
    }
    expect(tunnelFacts({ custom_remote_identities: 'x' }).customRemoteIdentity).toBeUndefined();
  });

  it('booleans and the BGP state only as Cloudflare types them', () => {
    const facts = tunnelFacts({
      health_check: { enabled: 'false' },
      replay_protection: 1,
      allow_null_cipher: null,
      bgp_status: { state: 'Established' },
    });
    expect(facts).toMatchObject({
      healthCheckEnabled: undefined,
      replayProtection: undefined,
      allowNullCipher: undefined,
      bgpState: undefined,
    });
    expect(tunnelFacts({ health_check: { enabled: false } }).healthCheckEnabled).toBe(false);
    expect(tunnelFacts({ bgp_status: { state: 'BGP_DOWN' } }).bgpState).toBe('BGP_DOWN');
  });

  it('address checks', () => {
    expect(['0.0.0.0', '255.255.255.255', '10.1.2.3'].every(isIpv4Address)).toBe(true);
    expect(['01.2.3.4', '1.2.3.4.5', '1..2.3'].some(isIpv4Address)).toBe(false);
    expect(['::', '::1', '2001:db8::1', '2606:54c1:7:0:a9fe:12d2:1:200'].every(isIpv6Address)).toBe(true);
    expect(['1.2.3.4', ':::', '2001:db8::1::2', '12345::', 'fe80::1%1'].some(isIpv6Address)).toBe(false);
  });
});
