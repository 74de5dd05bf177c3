// The configuration of the two test daemons: a private strongswan.conf each, and the swanctl.conf of a customer
// device (one connection per tunnel, the initiator) and of a responder playing Cloudflare (one per tunnel).

/**
 * The plugins charon loads. `kernel-libipsec` comes before `kernel-netlink` so that it provides the IPsec backend
 * (the first one registered wins) while kernel-netlink still does networking: kernels without ESP (this project's
 * VMs) then still install CHILD_SAs, in userspace.
 */
export const CHARON_PLUGINS =
  'random nonce aes sha1 sha2 hmac gcm kdf openssl pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici';
/** swanctl only parses configuration here; without a list it tries plugins Debian does not ship. */
const SWANCTL_PLUGINS = 'random openssl pem pkcs1 x509 pubkey';

/** The device's address on the link between the namespaces; each tunnel's Cloudflare endpoint is on it too. */
export const DEVICE_ADDRESS = '169.254.77.1';
/** The link's prefix length: one subnet for the device and every Cloudflare endpoint. */
export const LINK_PREFIX = 24;

/** One tunnel between the two daemons. */
export interface HarnessTunnel {
  /** The device's connection and CHILD_SA name (the delivery target's `connection`). */
  connection: string;
  /** The device's IKE identity in strongSwan notation (`fqdn:…`, `keyid:…`). */
  deviceId: string;
  /** Cloudflare's endpoint for this tunnel (an address of the Cloudflare namespace), also its identity. */
  cloudflareAddress: string;
}

/** The responder's connection (and its key's VICI id) for a tunnel. */
export const cloudflareConnection = (tunnel: HarnessTunnel) => `cf-${tunnel.connection}`;

/**
 * charon-systemd reads the `charon-systemd` section. Log levels stay at 2 or below: at 4, the IKE group logs the
 * pre-shared key itself.
 */
export function strongswanConf(peer: { socketPath: string; logFile: string }): string {
  return `# One private charon per network namespace; written by the ipsec-psk test harness.
charon-systemd {
  load = ${CHARON_PLUGINS}
  install_routes = no
  install_virtual_ip = no
  routing_table = 0
  # Fail fast when the peer is silent, instead of retransmitting for minutes.
  retransmit_tries = 3
  retransmit_timeout = 1.0
  retransmit_base = 1.4
  journal {
    default = -1
  }
  filelog {
    harness {
      path = ${peer.logFile}
      time_format = %H:%M:%S
      time_add_ms = yes
      ike_name = yes
      append = no
      flush_line = yes
      default = 1
      ike = 2
      cfg = 2
    }
  }
  plugins {
    vici {
      socket = unix://${peer.socketPath}
    }
  }
}

swanctl {
  load = ${SWANCTL_PLUGINS}
}
`;
}

/** Cloudflare's documented proposals: AES-GCM or AES-CBC-256, SHA2-256, DH 20 (and 14 for older devices). */
const IKE_PROPOSALS = 'aes256gcm16-prfsha256-ecp384,aes256-sha256-ecp384,aes256-sha256-modp2048';
const ESP_PROPOSALS = 'aes256gcm16-ecp384,aes256-sha256-ecp384,aes256gcm16-modp2048,aes256-sha256-modp2048';

function child(name: string): string {
  return `    children {
      ${name} {
        mode = tunnel
        local_ts = 0.0.0.0/0
        remote_ts = 0.0.0.0/0
        # Route-based style: no IPsec policies, so no traffic is steered into the tunnel.
        policies = no
        start_action = none
        esp_proposals = ${ESP_PROPOSALS}
      }
    }`;
}

/** The device: one initiating connection per tunnel. */
export function deviceSwanctlConf(tunnels: readonly HarnessTunnel[]): string {
  const connections = tunnels.map(
    (tunnel) => `  ${tunnel.connection} {
    version = 2
    local_addrs = ${DEVICE_ADDRESS}
    remote_addrs = ${tunnel.cloudflareAddress}
    proposals = ${IKE_PROPOSALS}
    local {
      auth = psk
      id = ${tunnel.deviceId}
    }
    remote {
      auth = psk
      id = ${tunnel.cloudflareAddress}
    }
${child(tunnel.connection)}
  }`,
  );
  return `# The customer device: the side that initiates.\nconnections {\n${connections.join('\n')}\n}\n`;
}

/** Cloudflare's side: responds only (Cloudflare never initiates), one connection per tunnel endpoint. */
export function cloudflareSwanctlConf(tunnels: readonly HarnessTunnel[]): string {
  const connections = tunnels.map(
    (tunnel) => `  ${cloudflareConnection(tunnel)} {
    version = 2
    local_addrs = ${tunnel.cloudflareAddress}
    remote_addrs = %any
    proposals = ${IKE_PROPOSALS}
    local {
      auth = psk
      id = ${tunnel.cloudflareAddress}
    }
    remote {
      auth = psk
      id = ${tunnel.deviceId}
    }
${child(cloudflareConnection(tunnel))}
  }`,
  );
  return `# Stands in for Cloudflare, which only ever responds.\nconnections {\n${connections.join('\n')}\n}\n`;
}
