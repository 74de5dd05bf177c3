import type { IkeIdentity } from '../config-types.js';
import {
  CLOUDFLARE_REFERENCE,
  commentText,
  hexKey,
  interfaceNumber,
  isQuotableKey,
  objectName,
  Placeholders,
  type TemplateInput,
} from './common.js';

const IDENTITY_KEYWORD: Record<IkeIdentity['type'], string> = {
  fqdn: 'hostname',
  keyid: 'key-id',
  ipv4: 'inet',
  ipv6: 'inet6',
};

/**
 * Junos (SRX) set commands, as Cloudflare's Juniper guide configures tunnel 1 (tested there on Junos 23.4R2), with
 * Juniper's statement hierarchy: the key is on the IKE policy (`pre-shared-key`), not the gateway. A key of
 * printable characters other than `"` and `\` goes in double quotes as `ascii-text`, as in Cloudflare's guide;
 * any other as `hexadecimal`, which Juniper documents as the alternative.
 */
export function junosConfig(input: TemplateInput): string {
  const short = objectName(input.tunnelId);
  const unit = interfaceNumber(input.tunnelId);
  const policy = `${short}-ike-pol`;
  const gateway = `${short}-ike-gw`;
  const vpn = `${short}-ipsec-vpn`;
  const missing = new Placeholders();
  const key = isQuotableKey(input.key)
    ? `ascii-text "${input.key.reveal()}"`
    : `hexadecimal ${hexKey(input.key)}`;
  const remote = missing.fill(input.cloudflareEndpoint, 'CF_ANYCAST_IP');
  const identity = input.localId
    ? `${IDENTITY_KEYWORD[input.localId.type]} ${input.localId.value}`
    : `hostname ${missing.fill(undefined, 'LOCAL_IKE_ID')}`;
  const device = input.deviceInterface
    ? `${input.deviceInterface.address}/${input.deviceInterface.prefix}`
    : missing.fill(undefined, 'DEVICE_SIDE_OF_INTERFACE_ADDRESS');
  const wanIf = missing.fill(input.wanInterface, 'WAN_IFL');
  const wanIp = missing.fill(input.customerEndpoint, 'WAN_IP');
  const ike = 'set security ike';
  const ipsec = 'set security ipsec';
  const lines = [
    `# Junos set commands for the Cloudflare WAN IPsec tunnel ${input.tunnelId} (name: ${commentText(input.tunnelName)}).`,
    '# Written by ipsec-psk; this file holds the tunnel key: keep it mode 0600.',
    '# Follows: Cloudflare, "Juniper Networks SRX" https://developers.cloudflare.com/cloudflare-wan/configuration/third-party/juniper/',
    `#          Cloudflare, "GRE and IPsec tunnels" ${CLOUDFLARE_REFERENCE}`,
    '#          Juniper, pre-shared-key (ascii-text | hexadecimal) at [edit security ike policy]',
    '#          https://juniper.net/documentation/software/junos-es/junos-es93/junos-es-swcmdref/pre-shared-key.html',
    `# Enter in configure mode, then commit; afterwards: clear security ike security-associations ${remote}`,
    missing.line('#'),
    `set interfaces st0 unit ${unit} family inet address ${device}`,
    `set security zones security-zone cloudflare interfaces st0.${unit} host-inbound-traffic system-services ping`,
    `${ike} proposal ike-aes256cbc-sha256-dh20 authentication-method pre-shared-keys`,
    `${ike} proposal ike-aes256cbc-sha256-dh20 dh-group group20`,
    `${ike} proposal ike-aes256cbc-sha256-dh20 authentication-algorithm sha-256`,
    `${ike} proposal ike-aes256cbc-sha256-dh20 encryption-algorithm aes-256-cbc`,
    `${ike} proposal ike-aes256cbc-sha256-dh20 lifetime-seconds 28800`,
    `${ike} policy ${policy} proposals ike-aes256cbc-sha256-dh20`,
    `${ike} policy ${policy} pre-shared-key ${key}`,
    `${ike} gateway ${gateway} ike-policy ${policy}`,
    `${ike} gateway ${gateway} address ${remote}`,
    `${ike} gateway ${gateway} local-identity ${identity}`,
    `${ike} gateway ${gateway} external-interface ${wanIf}`,
    `${ike} gateway ${gateway} local-address ${wanIp}`,
    `${ike} gateway ${gateway} version v2-only`,
    `${ike} gateway ${gateway} dead-peer-detection probe-idle-tunnel`,
    `${ike} gateway ${gateway} dead-peer-detection interval 10`,
    `${ike} gateway ${gateway} dead-peer-detection threshold 3`,
    `${ipsec} proposal esp-aes256cbc-sha256-128 protocol esp`,
    `${ipsec} proposal esp-aes256cbc-sha256-128 authentication-algorithm hmac-sha-256-128`,
    `${ipsec} proposal esp-aes256cbc-sha256-128 encryption-algorithm aes-256-cbc`,
    `${ipsec} proposal esp-aes256cbc-sha256-128 lifetime-seconds 28800`,
    `${ipsec} policy ipsec-aes256cbc-sha256-128-dh20 perfect-forward-secrecy keys group20`,
    `${ipsec} policy ipsec-aes256cbc-sha256-128-dh20 proposals esp-aes256cbc-sha256-128`,
    `${ipsec} vpn ${vpn} bind-interface st0.${unit}`,
    `${ipsec} vpn ${vpn} ike gateway ${gateway}`,
    `${ipsec} vpn ${vpn} ike no-anti-replay`,
    `${ipsec} vpn ${vpn} ike ipsec-policy ipsec-aes256cbc-sha256-128-dh20`,
    `${ipsec} vpn ${vpn} establish-tunnels immediately`,
    'set security flow tcp-mss ipsec-vpn mss 1360',
    '',
  ];
  return lines.join('\n');
}
