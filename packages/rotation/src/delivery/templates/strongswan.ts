import { strongswanIdentity } from '../identities.js';
import {
  CLOUDFLARE_REFERENCE,
  commentText,
  hexKey,
  objectName,
  Placeholders,
  type TemplateInput,
} from './common.js';

/**
 * swanctl.conf for strongSwan: Cloudflare's strongSwan guide (written for the legacy ipsec.conf) translated into
 * swanctl.conf, route-based with an XFRM interface. The key is always written as `0x<hex>`: swanctl reads a
 * `0x`/`0s` prefix as an encoding even inside quotes, and hex needs no quoting.
 */
export function strongswanConfig(input: TemplateInput): string {
  const name = objectName(input.tunnelId);
  const missing = new Placeholders();
  const localId = input.localId ? strongswanIdentity(input.localId) : missing.fill(undefined, 'LOCAL_IKE_ID');
  const remote = missing.fill(input.cloudflareEndpoint, 'CF_ANYCAST_IP');
  const wan = missing.fill(input.wanInterface, 'WAN_IF');
  const device = input.deviceInterface
    ? `${input.deviceInterface.address}/${input.deviceInterface.prefix}`
    : missing.fill(undefined, 'DEVICE_SIDE_OF_INTERFACE_ADDRESS');
  const xfrm = `xfrm-${name.slice(3, 10)}`;
  const lines = [
    `# swanctl.conf for the Cloudflare WAN IPsec tunnel ${input.tunnelId} (name: ${commentText(input.tunnelName)}).`,
    '# Written by ipsec-psk; this file holds the tunnel key: keep it mode 0600.',
    '# Follows: Cloudflare, "strongSwan" https://developers.cloudflare.com/cloudflare-wan/configuration/third-party/strongswan/',
    `#          Cloudflare, "GRE and IPsec tunnels" ${CLOUDFLARE_REFERENCE}`,
    '#          strongSwan, swanctl.conf(5) https://docs.strongswan.org/docs/latest/swanctl/swanctlConf.html',
    `# Load: swanctl --load-all (or --load-conns and --load-creds), then swanctl --initiate --child ${name}`,
    missing.line('#'),
    '# The route-based interface (strongSwan route-based example net2net-xfrmi-ike):',
    `#   ip link add ${xfrm} type xfrm dev ${wan} if_id 42`,
    `#   ip addr add ${device} dev ${xfrm}`,
    `#   ip link set ${xfrm} up`,
    'connections {',
    `  ${name} {`,
    '    version = 2',
    `    local_addrs = ${input.customerEndpoint ?? '%any'}`,
    `    remote_addrs = ${remote}`,
    "    # AES-CBC-256 / SHA2-256 / DH group 20, as Cloudflare's guide (ike=aes256-sha256-ecp384!)",
    '    proposals = aes256-sha256-ecp384',
    '    rekey_time = 24h',
    '    reauth_time = 0',
    '    dpd_delay = 10s',
    '    mobike = no',
    '    fragmentation = no',
    '    if_id_in = 42',
    '    if_id_out = 42',
    '    local {',
    '      auth = psk',
    `      id = ${localId}`,
    '    }',
    '    remote {',
    '      auth = psk',
    `      id = ${remote}`,
    '    }',
    '    children {',
    `      ${name} {`,
    '        local_ts = 0.0.0.0/0',
    '        remote_ts = 0.0.0.0/0',
    '        esp_proposals = aes256-sha256-ecp384',
    '        rekey_time = 1h',
    '        # Cloudflare recommends anti-replay off (replay_window=0 in its guide).',
    '        replay_window = 0',
    '        dpd_action = restart',
    '        close_action = start',
    '        # Cloudflare only responds: the device initiates.',
    '        start_action = start',
    '      }',
    '    }',
    '  }',
    '}',
    'secrets {',
    `  ike-${name} {`,
    `    id-local = ${localId}`,
    `    id-remote = ${remote}`,
    `    secret = 0x${hexKey(input.key)}`,
    '  }',
    '}',
    '',
  ];
  return lines.join('\n');
}
