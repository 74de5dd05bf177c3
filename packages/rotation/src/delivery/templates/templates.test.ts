import { Secret } from '@ipsec-psk/core';
import { describe, expect, it } from 'vitest';
import { CONFIG_PLATFORMS, type ConfigPlatform } from '../config-types.js';
import { checkedInterface, deviceInterface } from '../identities.js';
import { TemplateError, type TemplateInput } from './common.js';
import { renderConfig } from './render.js';

// Golden-ish checks of each platform's configuration text: the structure Cloudflare's guide for it has, the key in
// its one place with the platform's quoting, the identities, and no way for API text to add a line.

const KEY = 'O3bwKSjnaoCxDoUxjcq4Rk8ZKkezQUiy';
const TUNNEL = 'c4a7362d577a6c3019a474fd6f485823';
const HOSTILE = 'x\n}\nset system login user evil class super-user\n# "; rm -rf / \u202e';

function input(overrides: Partial<TemplateInput> = {}): TemplateInput {
  return {
    tunnelId: TUNNEL,
    tunnelName: 'fra-edge-01',
    key: new Secret(KEY),
    localId: { type: 'fqdn', value: 'fra-edge.49561179.custom.ipsec.cloudflare.com' },
    cloudflareEndpoint: '162.159.64.1',
    customerEndpoint: '203.0.113.7',
    deviceInterface: deviceInterface('10.200.0.0/31'),
    cloudflareInterface: checkedInterface('10.200.0.0/31'),
    wanInterface: 'ge-0/0/0.0',
    ...overrides,
  };
}

const render = (platform: ConfigPlatform, overrides: Partial<TemplateInput> = {}) =>
  renderConfig(platform, input(overrides));

const occurrences = (text: string, part: string) => text.split(part).length - 1;

/** What each platform must contain, beyond the common checks. */
const EXPECTED: Record<ConfigPlatform, { key: string; lines: RegExp[]; vendorDoc: RegExp }> = {
  strongswan: {
    key: `secret = 0x${Buffer.from(KEY).toString('hex')}`,
    lines: [
      /^connections \{$/m,
      /^ {4}version = 2$/m,
      /^ {4}local_addrs = 203\.0\.113\.7$/m,
      /^ {4}remote_addrs = 162\.159\.64\.1$/m,
      /^ {4}proposals = aes256-sha256-ecp384$/m,
      /^ {6}id = fqdn:fra-edge\.49561179\.custom\.ipsec\.cloudflare\.com$/m,
      /^ {6}id = 162\.159\.64\.1$/m,
      /^ {8}esp_proposals = aes256-sha256-ecp384$/m,
      /^ {8}replay_window = 0$/m,
      /^ {4}id-local = fqdn:fra-edge/m,
      /^#\s+ip addr add 10\.200\.0\.1\/31 dev xfrm-/m,
    ],
    vendorDoc: /docs\.strongswan\.org\/docs\/latest\/swanctl\/swanctlConf\.html/,
  },
  vyos: {
    key: `set vpn ipsec authentication psk CF_C4A7362D577A secret '${KEY}'`,
    lines: [
      /^set interfaces vti vti\d+ address '10\.200\.0\.1\/31'$/m,
      /^set vpn ipsec authentication psk CF_C4A7362D577A id 'fra-edge\.49561179\.custom\.ipsec\.cloudflare\.com'$/m,
      /^set vpn ipsec authentication psk CF_C4A7362D577A id '162\.159\.64\.1'$/m,
      /^set vpn ipsec ike-group CF-IKE proposal 1 dh-group '20'$/m,
      /^set vpn ipsec site-to-site peer CF_C4A7362D577A remote-address '162\.159\.64\.1'$/m,
      /^set vpn ipsec site-to-site peer CF_C4A7362D577A connection-type 'initiate'$/m,
    ],
    vendorDoc: /docs\.vyos\.io\/en\/sagitta\/configuration\/vpn\/site2site_ipsec\.html/,
  },
  fortios: {
    key: `        set psksecret ${KEY}`,
    lines: [
      /^ {4}edit "cf-c4a7362d577a"$/m,
      /^ {8}set ike-version 2$/m,
      /^ {8}set localid-type fqdn$/m,
      /^ {8}set localid "fra-edge\.49561179\.custom\.ipsec\.cloudflare\.com"$/m,
      /^ {8}set remote-gw 162\.159\.64\.1$/m,
      /^ {8}set dhgrp 20$/m,
      /^ {8}set ip 10\.200\.0\.1 255\.255\.255\.255$/m,
      /^ {8}set remote-ip 10\.200\.0\.0 255\.255\.255\.254$/m,
    ],
    vendorDoc: /docs\.fortinet\.com\/document\/fortigate\/7\.4\.4\/cli-reference/,
  },
  'ios-xe': {
    key: `  pre-shared-key ${KEY}`,
    lines: [
      /^crypto ikev2 keyring CF_KEYRING$/m,
      /^ {2}address 162\.159\.64\.1$/m,
      /^ identity local fqdn fra-edge\.49561179\.custom\.ipsec\.cloudflare\.com$/m,
      /^ match identity remote address 162\.159\.64\.1 255\.255\.255\.255$/m,
      /^ ip address 10\.200\.0\.1 255\.255\.255\.254$/m,
      /^ tunnel source ge-0\/0\/0\.0$/m,
      /^ set pfs group20$/m,
    ],
    vendorDoc: /www\.cisco\.com\/en\/US\/docs\/ios-xml\/ios\/sec_conn_ike2vpn/,
  },
  junos: {
    key: `set security ike policy cf-c4a7362d577a-ike-pol pre-shared-key ascii-text "${KEY}"`,
    lines: [
      /^set interfaces st0 unit \d+ family inet address 10\.200\.0\.1\/31$/m,
      /^set security ike gateway cf-c4a7362d577a-ike-gw address 162\.159\.64\.1$/m,
      /^set security ike gateway cf-c4a7362d577a-ike-gw local-identity hostname fra-edge\.49561179/m,
      /^set security ike gateway cf-c4a7362d577a-ike-gw version v2-only$/m,
      /^set security ipsec vpn cf-c4a7362d577a-ipsec-vpn ike no-anti-replay$/m,
      /^set security ipsec vpn cf-c4a7362d577a-ipsec-vpn establish-tunnels immediately$/m,
    ],
    vendorDoc: /juniper\.net\/documentation\/.*pre-shared-key\.html/,
  },
  panos: {
    key: `set network ike gateway cf-c4a7362d577a-ike-gw authentication pre-shared-key key "${KEY}"`,
    lines: [
      /^set network interface tunnel units tunnel\.\d+ ip 10\.200\.0\.1\/31$/m,
      /^set network ike gateway cf-c4a7362d577a-ike-gw protocol version ikev2$/m,
      /^set network ike gateway cf-c4a7362d577a-ike-gw peer-address ip 162\.159\.64\.1$/m,
      /^set network ike gateway cf-c4a7362d577a-ike-gw local-id type fqdn id "fra-edge\.49561179/m,
      /^set network tunnel ipsec cf-c4a7362d577a-ipsec-tun anti-replay no$/m,
    ],
    vendorDoc: /docs\.paloaltonetworks\.com\/network-security\/ipsec-vpn/,
  },
};

describe.each(CONFIG_PLATFORMS)('the %s configuration text', (platform) => {
  const expected = EXPECTED[platform];

  it('follows Cloudflare’s guide for the platform, citing it and the vendor’s documentation', () => {
    const text = render(platform);
    expect(text).toContain('https://developers.cloudflare.com/cloudflare-wan/configuration/third-party/');
    expect(text).toContain('https://developers.cloudflare.com/cloudflare-wan/reference/gre-ipsec-tunnels/');
    expect(text).toMatch(expected.vendorDoc);
    expect(text).toMatch(/Every value is filled in from the tunnel's details\./);
    for (const line of expected.lines) expect(text).toMatch(line);
  });

  it('places the key once, with the platform’s quoting', () => {
    const text = render(platform);
    expect(text).toContain(expected.key);
    const plain = occurrences(text, KEY);
    expect(plain).toBe(platform === 'strongswan' ? 0 : 1);
  });

  it('lets no tunnel name add a line: it only appears, reduced to plain characters, in the first comment', () => {
    const benign = render(platform);
    const hostile = render(platform, { tunnelName: HOSTILE });
    expect(hostile.split('\n')).toHaveLength(benign.split('\n').length);
    expect(hostile).not.toMatch(/^set system login/m);
    expect(hostile).not.toContain('rm -rf');
    expect(hostile).not.toContain('\u202e');
    const named = hostile.split('\n').filter((line) => line.includes('name: x'));
    expect(named).toHaveLength(1);
    expect(named[0]).toMatch(/^[#!] /);
  });

  it('names what it could not fill in, as placeholders, instead of guessing', () => {
    const text = render(platform, {
      localId: undefined,
      cloudflareEndpoint: undefined,
      customerEndpoint: undefined,
      deviceInterface: undefined,
      cloudflareInterface: undefined,
      wanInterface: undefined,
    });
    expect(text).toMatch(/Fill in before use: .*<LOCAL_IKE_ID>/);
    expect(text).toContain('<CF_ANYCAST_IP>');
    expect(text).not.toContain('162.159.64.1');
    expect(text).not.toContain('.ipsec.cloudflare.com');
  });
});

describe('key quoting per platform', () => {
  const tricky = new Secret('Cloudflare-WAN-T1-PSK-1234!');
  const quote = new Secret('ab"cd\\ef#gh');
  const prefixed = new Secret('0xDEADbeefNotHex0123456789abcdef');
  const hex = (key: Secret) => Buffer.from(key.reveal()).toString('hex');

  it('strongSwan: always hex, so neither quoting nor a 0x/0s prefix can change the key', () => {
    for (const key of [tricky, quote, prefixed]) {
      const text = renderConfig('strongswan', input({ key }));
      expect(text).toContain(`secret = 0x${hex(key)}`);
      expect(text).not.toContain(key.reveal());
    }
  });

  it('VyOS 1.4: refuses a key its swanctl.conf would read differently', () => {
    for (const key of [tricky, quote, prefixed]) {
      expect(() => renderConfig('vyos', input({ key }))).toThrow(TemplateError);
    }
    expect(() => renderConfig('vyos', input({ key: prefixed }))).toThrow(/starting with 0x or 0s/);
  });

  it('FortiOS: hex (0x…) for anything but a plain key, and for a plain key that starts with 0x', () => {
    expect(renderConfig('fortios', input({ key: tricky }))).toContain(`set psksecret 0x${hex(tricky)}`);
    expect(renderConfig('fortios', input({ key: prefixed }))).toContain(`set psksecret 0x${hex(prefixed)}`);
  });

  it('Cisco IOS XE: only letters, digits, "-" and "_"', () => {
    expect(renderConfig('ios-xe', input({ key: new Secret('abc-DEF_123') }))).toContain(
      'pre-shared-key abc-DEF_123',
    );
    expect(() => renderConfig('ios-xe', input({ key: tricky }))).toThrow(/documents no quoting/);
  });

  it('Junos: double quotes for printable keys, hexadecimal for one with a quote or backslash', () => {
    expect(renderConfig('junos', input({ key: tricky }))).toContain(
      `pre-shared-key ascii-text "${tricky.reveal()}"`,
    );
    const text = renderConfig('junos', input({ key: quote }));
    expect(text).toContain(`pre-shared-key hexadecimal ${hex(quote)}`);
    expect(text).not.toContain('ab"cd');
  });

  it('PAN-OS: double quotes, and a refusal for a key with a quote or backslash', () => {
    expect(renderConfig('panos', input({ key: tricky }))).toContain(`key "${tricky.reveal()}"`);
    expect(() => renderConfig('panos', input({ key: quote }))).toThrow(TemplateError);
  });

  it('no refusal ever quotes the key', () => {
    for (const platform of ['vyos', 'ios-xe', 'panos'] as const) {
      try {
        renderConfig(platform, input({ key: quote }));
      } catch (error) {
        expect((error as Error).message).not.toContain(quote.reveal());
      }
    }
  });
});

describe('identities and addresses', () => {
  it('writes a key-id identity (Set PSKs’ ipsec_id) in each platform’s own form', () => {
    const localId = { type: 'keyid' as const, value: '12345_c4a7362d577a6c3019a474fd6f485823' };
    expect(render('strongswan', { localId })).toMatch(/^ {6}id = keyid:12345_c4a7/m);
    expect(render('vyos', { localId })).toMatch(/local-id 'keyid:12345_c4a7/);
    expect(render('fortios', { localId })).toMatch(/set localid-type keyid/);
    expect(render('ios-xe', { localId })).toMatch(/identity local key-id 12345_c4a7/);
    expect(render('junos', { localId })).toMatch(/local-identity key-id 12345_c4a7/);
    expect(render('panos', { localId })).toMatch(
      new RegExp(`local-id type keyid id ${Buffer.from(localId.value).toString('hex')}$`, 'm'),
    );
  });

  it('gives the device the other host of Cloudflare’s interface address', () => {
    expect(deviceInterface('10.200.0.0/31')).toEqual({ address: '10.200.0.1', prefix: 31 });
    expect(deviceInterface('10.200.0.7/31')).toEqual({ address: '10.200.0.6', prefix: 31 });
    expect(deviceInterface('192.168.9.1/30')).toEqual({ address: '192.168.9.2', prefix: 30 });
    expect(deviceInterface('192.168.9.0/30')).toBeUndefined();
    expect(deviceInterface('10.0.0.0/24')).toBeUndefined();
    expect(deviceInterface('10.0.0.0/31\nx')).toBeUndefined();
  });
});
