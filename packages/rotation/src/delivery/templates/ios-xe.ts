import type { IkeIdentity } from '../config-types.js';
import {
  CLOUDFLARE_REFERENCE,
  commentText,
  interfaceNumber,
  isPlainKey,
  netmask,
  objectName,
  Placeholders,
  TemplateError,
  type TemplateInput,
} from './common.js';

const IDENTITY_KEYWORD: Record<IkeIdentity['type'], string> = {
  fqdn: 'fqdn',
  keyid: 'key-id',
  ipv4: 'address',
  ipv6: 'address',
};

/**
 * Cisco IOS XE configuration, as Cloudflare's IOS XE guide configures tunnel 1 (tested there on 17.03.07), with
 * Cisco's IKEv2 keyring and profile syntax. The key is entered unquoted on its line, as in both; Cisco documents
 * no quoting, so only a key of letters, digits, `-` and `_` is written.
 */
export function iosXeConfig(input: TemplateInput): string {
  if (!isPlainKey(input.key)) {
    throw new TemplateError(
      'Cisco IOS XE takes the key unquoted and documents no quoting, so only keys of letters, digits, "-" and "_" ' +
        'are written for it; rotate to such a key for this device',
    );
  }
  const name = objectName(input.tunnelId).toUpperCase().replace(/-/g, '_');
  const missing = new Placeholders();
  const remote = missing.fill(input.cloudflareEndpoint, 'CF_ANYCAST_IP');
  const identity = input.localId
    ? `${IDENTITY_KEYWORD[input.localId.type]} ${input.localId.value}`
    : `fqdn ${missing.fill(undefined, 'LOCAL_IKE_ID')}`;
  const device = input.deviceInterface
    ? `${input.deviceInterface.address} ${netmask(input.deviceInterface.prefix)}`
    : `${missing.fill(undefined, 'DEVICE_SIDE_OF_INTERFACE_ADDRESS')} 255.255.255.254`;
  const source = missing.fill(input.wanInterface ?? input.customerEndpoint, 'WAN_IF_OR_IP');
  const lines = [
    `! Cisco IOS XE configuration for the Cloudflare WAN IPsec tunnel ${input.tunnelId} (name: ${commentText(input.tunnelName)}).`,
    '! Written by ipsec-psk; this file holds the tunnel key: keep it mode 0600.',
    '! Follows: Cloudflare, "Cisco IOS XE" https://developers.cloudflare.com/cloudflare-wan/configuration/third-party/cisco-ios-xe/',
    `!          Cloudflare, "GRE and IPsec tunnels" ${CLOUDFLARE_REFERENCE}`,
    '!          Cisco, "Appendix: IKEv2 and Legacy VPNs" (crypto ikev2 keyring, profile)',
    '!          https://www.cisco.com/en/US/docs/ios-xml/ios/sec_conn_ike2vpn/configuration/15-2mt/sec-apx-ikev2-legacy.html',
    `! Afterwards: clear crypto session remote ${remote}`,
    missing.line('!'),
    'crypto ikev2 proposal CF_IKEV2_PROPOSAL',
    ' encryption aes-cbc-256',
    ' integrity sha256',
    ' group 20',
    '!',
    'crypto ikev2 policy CF_IKEV2_POLICY',
    ' match fvrf any',
    ' proposal CF_IKEV2_PROPOSAL',
    '!',
    'crypto ikev2 keyring CF_KEYRING',
    ` peer ${name}`,
    `  address ${remote}`,
    `  pre-shared-key ${input.key.reveal()}`,
    ' !',
    '!',
    `crypto ikev2 profile ${name}`,
    ` match identity remote address ${remote} 255.255.255.255`,
    ` identity local ${identity}`,
    ' authentication remote pre-share',
    ' authentication local pre-share',
    ' keyring local CF_KEYRING',
    ' dpd 10 3 periodic',
    ' no config-exchange request',
    '!',
    `crypto ipsec profile ${name}`,
    ' set security-association lifetime kilobytes disable',
    ' set security-association lifetime seconds 28800',
    ' set security-association replay disable',
    ' set pfs group20',
    ` set ikev2-profile ${name}`,
    '!',
    `interface Tunnel${interfaceNumber(input.tunnelId)}`,
    ` ip address ${device}`,
    ' ip mtu 1450',
    ' ip tcp adjust-mss 1350',
    ` tunnel source ${source}`,
    ' tunnel mode ipsec ipv4',
    ` tunnel destination ${remote}`,
    ' tunnel path-mtu-discovery',
    ` tunnel protection ipsec profile ${name}`,
    '!',
    '',
  ];
  return lines.join('\n');
}
