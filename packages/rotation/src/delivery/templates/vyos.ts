import { strongswanIdentity } from '../identities.js';
import {
  CLOUDFLARE_REFERENCE,
  commentText,
  hasEncodingPrefix,
  interfaceNumber,
  isPlainKey,
  objectName,
  Placeholders,
  TemplateError,
  type TemplateInput,
} from './common.js';

/**
 * VyOS 1.4 (sagitta) configuration commands. Cloudflare's VyOS guide is written in VyOS 1.3 syntax; this follows
 * its values in the 1.4 syntax of VyOS's site-to-site IPsec documentation, with Cloudflare's reference where the two
 * differ (SHA2-256 integrity, ESP lifetime within 8 h).
 */
export function vyosConfig(input: TemplateInput): string {
  // VyOS 1.4 writes the secret into swanctl.conf between double quotes, where strongSwan still reads a 0x/0s
  // prefix as an encoding and has its own escapes: only a plain key is the same key on the device.
  if (!isPlainKey(input.key) || hasEncodingPrefix(input.key)) {
    throw new TemplateError(
      'VyOS 1.4 passes the key to strongSwan between double quotes, where a key starting with 0x or 0s, or one ' +
        'with characters other than letters, digits, "-" and "_", changes meaning; rotate to a key of letters ' +
        'and digits for this device',
    );
  }
  const peer = objectName(input.tunnelId).toUpperCase().replace(/-/g, '_');
  const vti = `vti${interfaceNumber(input.tunnelId)}`;
  const missing = new Placeholders();
  // A key-id identity needs strongSwan's keyid: prefix; VyOS hands the text to strongSwan as it is.
  const localId =
    input.localId?.type === 'keyid'
      ? strongswanIdentity(input.localId)
      : missing.fill(input.localId?.value, 'LOCAL_IKE_ID');
  const remote = missing.fill(input.cloudflareEndpoint, 'CF_ANYCAST_IP');
  const wanIf = missing.fill(input.wanInterface, 'WAN_IF');
  const wanIp = missing.fill(input.customerEndpoint, 'WAN_IP');
  const device = input.deviceInterface
    ? `${input.deviceInterface.address}/${input.deviceInterface.prefix}`
    : missing.fill(undefined, 'DEVICE_SIDE_OF_INTERFACE_ADDRESS');
  const psk = `vpn ipsec authentication psk ${peer}`;
  const site = `vpn ipsec site-to-site peer ${peer}`;
  const lines = [
    `# VyOS 1.4 commands for the Cloudflare WAN IPsec tunnel ${input.tunnelId} (name: ${commentText(input.tunnelName)}).`,
    '# Written by ipsec-psk; this file holds the tunnel key: keep it mode 0600.',
    '# Follows: Cloudflare, "VyOS" https://developers.cloudflare.com/cloudflare-wan/configuration/third-party/vyos/',
    `#          Cloudflare, "GRE and IPsec tunnels" ${CLOUDFLARE_REFERENCE}`,
    '#          VyOS 1.4, "Site-to-Site IPsec" https://docs.vyos.io/en/sagitta/configuration/vpn/site2site_ipsec.html',
    '# Enter with: configure, then these lines, then commit and save;',
    `# afterwards: reset vpn ipsec site-to-site peer ${peer}`,
    missing.line('#'),
    `set interfaces vti ${vti} address '${device}'`,
    `set vpn ipsec interface '${wanIf}'`,
    'set vpn ipsec options disable-route-autoinstall',
    `set ${psk} id '${localId}'`,
    `set ${psk} id '${remote}'`,
    `set ${psk} secret '${input.key.reveal()}'`,
    "set vpn ipsec ike-group CF-IKE key-exchange 'ikev2'",
    "set vpn ipsec ike-group CF-IKE lifetime '28800'",
    'set vpn ipsec ike-group CF-IKE disable-mobike',
    "set vpn ipsec ike-group CF-IKE close-action 'none'",
    "set vpn ipsec ike-group CF-IKE dead-peer-detection action 'restart'",
    "set vpn ipsec ike-group CF-IKE dead-peer-detection interval '30'",
    "set vpn ipsec ike-group CF-IKE dead-peer-detection timeout '120'",
    "set vpn ipsec ike-group CF-IKE proposal 1 encryption 'aes256gcm128'",
    "set vpn ipsec ike-group CF-IKE proposal 1 hash 'sha256'",
    "set vpn ipsec ike-group CF-IKE proposal 1 dh-group '20'",
    "set vpn ipsec esp-group CF-ESP mode 'tunnel'",
    "set vpn ipsec esp-group CF-ESP lifetime '28800'",
    "set vpn ipsec esp-group CF-ESP pfs 'dh-group20'",
    "set vpn ipsec esp-group CF-ESP proposal 1 encryption 'aes256gcm128'",
    "set vpn ipsec esp-group CF-ESP proposal 1 hash 'sha256'",
    `set ${site} authentication mode 'pre-shared-secret'`,
    `set ${site} authentication local-id '${localId}'`,
    `set ${site} authentication remote-id '${remote}'`,
    `set ${site} connection-type 'initiate'`,
    `set ${site} ike-group 'CF-IKE'`,
    `set ${site} ikev2-reauth 'no'`,
    `set ${site} local-address '${wanIp}'`,
    `set ${site} remote-address '${remote}'`,
    `set ${site} vti bind '${vti}'`,
    `set ${site} vti esp-group 'CF-ESP'`,
    '',
  ];
  return lines.join('\n');
}
