import {
  CLOUDFLARE_REFERENCE,
  commentText,
  interfaceNumber,
  isQuotableKey,
  objectName,
  Placeholders,
  TemplateError,
  type TemplateInput,
} from './common.js';

/** PAN-OS `local-id type` and how the value is written: a key id is entered as the hex of its bytes. */
function localIdentity(input: TemplateInput, missing: Placeholders): string {
  const identity = input.localId;
  if (!identity) return `type fqdn id "${missing.fill(undefined, 'LOCAL_IKE_ID')}"`;
  switch (identity.type) {
    case 'fqdn':
      return `type fqdn id "${identity.value}"`;
    case 'keyid':
      return `type keyid id ${Buffer.from(identity.value, 'utf8').toString('hex')}`;
    default:
      return `type ipaddr id ${identity.value}`;
  }
}

/**
 * PAN-OS set commands, as Cloudflare's Palo Alto guide configures tunnel 1 (tested there on PAN-OS 11.2.8). The key
 * goes in double quotes as in the guide; PAN-OS documents no escapes inside them, so a key with `"`, `\` or
 * non-printable characters is refused.
 */
export function panosConfig(input: TemplateInput): string {
  if (!isQuotableKey(input.key)) {
    throw new TemplateError(
      'PAN-OS takes the key between double quotes without documented escapes, so a key with a double quote, a ' +
        'backslash or non-printable characters is not written for it; rotate to a key of letters and digits',
    );
  }
  const short = objectName(input.tunnelId);
  const unit = interfaceNumber(input.tunnelId);
  const gateway = `${short}-ike-gw`;
  const tunnel = `${short}-ipsec-tun`;
  const missing = new Placeholders();
  const remote = missing.fill(input.cloudflareEndpoint, 'CF_ANYCAST_IP');
  const device = input.deviceInterface
    ? `${input.deviceInterface.address}/${input.deviceInterface.prefix}`
    : missing.fill(undefined, 'DEVICE_SIDE_OF_INTERFACE_ADDRESS');
  const wanIf = missing.fill(input.wanInterface, 'WAN_IF');
  const wanIp = missing.fill(input.customerEndpoint, 'WAN_IP');
  const identity = localIdentity(input, missing);
  const ikeProfile = 'set network ike crypto-profiles ike-crypto-profiles ike-aes256cbc-sha256-dh20';
  const ipsecProfile = 'set network ike crypto-profiles ipsec-crypto-profiles ipsec-aes256cbc-sha256-dh20';
  const gw = `set network ike gateway ${gateway}`;
  const tun = `set network tunnel ipsec ${tunnel}`;
  const lines = [
    `# PAN-OS set commands for the Cloudflare WAN IPsec tunnel ${input.tunnelId} (name: ${commentText(input.tunnelName)}).`,
    '# Written by ipsec-psk; this file holds the tunnel key: keep it mode 0600.',
    '# Follows: Cloudflare, "Palo Alto Networks NGFW" https://developers.cloudflare.com/cloudflare-wan/configuration/third-party/palo-alto/',
    `#          Cloudflare, "GRE and IPsec tunnels" ${CLOUDFLARE_REFERENCE}`,
    '#          Palo Alto Networks, site-to-site VPN troubleshooting CLI',
    '#          https://docs.paloaltonetworks.com/network-security/ipsec-vpn/administration/troubleshooting/troubleshooting-site-to-site-vpn-issues-using-cli',
    `# Enter in configure mode, then commit; afterwards: clear vpn ike-sa gateway ${gateway}, then test vpn ike-sa gateway ${gateway}`,
    missing.line('#'),
    'set network profiles interface-management-profile allow_ping ping yes',
    `set network interface tunnel units tunnel.${unit} ip ${device}`,
    `set network interface tunnel units tunnel.${unit} interface-management-profile allow_ping`,
    `set network virtual-router default interface tunnel.${unit}`,
    `set zone cloudflare network layer3 [ tunnel.${unit} ]`,
    `${ikeProfile} hash sha256`,
    `${ikeProfile} dh-group group20`,
    `${ikeProfile} encryption aes-256-cbc`,
    `${ikeProfile} lifetime hours 8`,
    `${gw} authentication pre-shared-key key "${input.key.reveal()}"`,
    `${gw} protocol version ikev2`,
    `${gw} protocol ikev2 ike-crypto-profile ike-aes256cbc-sha256-dh20`,
    `${gw} protocol ikev2 dpd enable yes`,
    `${gw} protocol ikev2 pq-kem enable no`,
    `${gw} protocol ikev2 ikev2-fragment enable no`,
    `${gw} protocol-common nat-traversal enable no`,
    `${gw} protocol-common fragmentation enable no`,
    `${gw} local-address interface ${wanIf} ip ${wanIp}`,
    `${gw} peer-address ip ${remote}`,
    `${gw} local-id ${identity}`,
    `${ipsecProfile} esp authentication sha256`,
    `${ipsecProfile} esp encryption aes-256-cbc`,
    `${ipsecProfile} lifetime hours 8`,
    `${ipsecProfile} dh-group group20`,
    `${tun} auto-key ike-gateway ${gateway}`,
    `${tun} auto-key ipsec-crypto-profile ipsec-aes256cbc-sha256-dh20`,
    `${tun} tunnel-monitor enable no`,
    `${tun} tunnel-interface tunnel.${unit}`,
    `${tun} anti-replay no`,
    '',
  ];
  return lines.join('\n');
}
