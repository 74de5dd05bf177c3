import type { IkeIdentity } from '../config-types.js';
import {
  CLOUDFLARE_REFERENCE,
  commentText,
  hasEncodingPrefix,
  hexKey,
  isPlainKey,
  objectName,
  Placeholders,
  type TemplateInput,
} from './common.js';

const LOCALID_TYPE: Record<IkeIdentity['type'], string> = {
  fqdn: 'fqdn',
  keyid: 'keyid',
  ipv4: 'address',
  ipv6: 'address',
};

/**
 * FortiOS (FortiGate) CLI, as Cloudflare's FortiGate guide configures one tunnel, with the field rules of
 * Fortinet's CLI reference (`config vpn ipsec phase1-interface`). A plain key is written as it is; any other, and
 * one that starts with `0x` (which FortiOS would read as hex), as `0x<hex>`, which `psksecret` documents.
 */
export function fortiosConfig(input: TemplateInput): string {
  const name = objectName(input.tunnelId);
  const missing = new Placeholders();
  const psk =
    isPlainKey(input.key) && !hasEncodingPrefix(input.key) ? input.key.reveal() : `0x${hexKey(input.key)}`;
  const localId = missing.fill(input.localId?.value, 'LOCAL_IKE_ID');
  const localIdType = input.localId ? LOCALID_TYPE[input.localId.type] : 'fqdn';
  const remote = missing.fill(input.cloudflareEndpoint, 'CF_ANYCAST_IP');
  const wanIf = missing.fill(input.wanInterface, 'WAN_IF');
  const device = missing.fill(input.deviceInterface?.address, 'DEVICE_SIDE_OF_INTERFACE_ADDRESS');
  const cloudflare = input.cloudflareInterface;
  const cloudflareSide = missing.fill(cloudflare?.address, 'CF_SIDE_OF_INTERFACE_ADDRESS');
  const remoteMask = cloudflare?.prefix === 30 ? '255.255.255.252' : '255.255.255.254';
  const lines = [
    `# FortiOS CLI for the Cloudflare WAN IPsec tunnel ${input.tunnelId} (name: ${commentText(input.tunnelName)}).`,
    '# Written by ipsec-psk; this file holds the tunnel key: keep it mode 0600.',
    '# Follows: Cloudflare, "Fortinet" https://developers.cloudflare.com/cloudflare-wan/configuration/third-party/fortinet/',
    `#          Cloudflare, "GRE and IPsec tunnels" ${CLOUDFLARE_REFERENCE}`,
    '#          Fortinet, FortiGate 7.4.4 CLI reference, config vpn ipsec phase1',
    '#          https://docs.fortinet.com/document/fortigate/7.4.4/cli-reference/574570212/config-vpn-ipsec-phase1',
    `# Afterwards: execute vpn ipsec tunnel down ${name} ${name} (then up, or let auto-negotiate bring it up)`,
    missing.line('#'),
    'config system settings',
    '    set asymroute-icmp enable',
    'end',
    'config vpn ipsec phase1-interface',
    `    edit "${name}"`,
    `        set interface "${wanIf}"`,
    '        set ike-version 2',
    '        set keylife 86400',
    '        set peertype any',
    '        set net-device enable',
    '        set proposal aes256gcm-prfsha512 aes256gcm-prfsha384 aes256gcm-prfsha256',
    `        set localid-type ${localIdType}`,
    `        set localid "${localId}"`,
    '        set dhgrp 20',
    '        set nattraversal disable',
    `        set remote-gw ${remote}`,
    '        set add-gw-route enable',
    `        set psksecret ${psk}`,
    '        set dpd on-idle',
    '        set dpd-retryinterval 10',
    '        set dpd-retrycount 3',
    '    next',
    'end',
    'config vpn ipsec phase2-interface',
    `    edit "${name}"`,
    `        set phase1name "${name}"`,
    '        set proposal aes256gcm aes128gcm',
    '        set dhgrp 20',
    '        set replay disable',
    '        set keylifeseconds 28800',
    '        set auto-negotiate enable',
    '        set keepalive enable',
    '    next',
    'end',
    'config system interface',
    `    edit "${name}"`,
    `        set ip ${device} 255.255.255.255`,
    `        set remote-ip ${cloudflareSide} ${remoteMask}`,
    '        set allowaccess ping',
    '    next',
    'end',
    '',
  ];
  return lines.join('\n');
}
