import { isIP } from 'node:net';
import type { TunnelRecord } from './state.js';

/** The spec's `psk_metadata`; `last_generated_on` is absent while no key was ever generated. */
export function pskMetadata(tunnel: TunnelRecord): { last_generated_on?: string } {
  return tunnel.lastGeneratedOn === undefined ? {} : { last_generated_on: tunnel.lastGeneratedOn };
}

/** How a read presents a tunnel. */
export interface ViewOptions {
  /** The request sent `x-magic-new-hc-target: true`: `health_check.target` is `{ effective, saved }`. */
  objectTarget: boolean;
}

/**
 * The spec's `ipsec_tunnel`. It never includes the PSK: Cloudflare does not return a key once generated. The
 * health check target's shape follows the `x-magic-new-hc-target` header, as Cloudflare documents it.
 */
export function tunnelView(tunnel: TunnelRecord, options: ViewOptions): Record<string, unknown> {
  return {
    id: tunnel.id,
    name: tunnel.name,
    ...(tunnel.description === undefined ? {} : { description: tunnel.description }),
    cloudflare_endpoint: tunnel.cloudflareEndpoint,
    ...(tunnel.customerEndpoint === undefined ? {} : { customer_endpoint: tunnel.customerEndpoint }),
    interface_address: tunnel.interfaceAddress,
    ...(tunnel.interfaceAddress6 === undefined ? {} : { interface_address6: tunnel.interfaceAddress6 }),
    ...(tunnel.customRemoteIdentity === undefined
      ? {}
      : { custom_remote_identities: { fqdn_id: tunnel.customRemoteIdentity } }),
    health_check: healthCheckView(tunnel, options),
    replay_protection: tunnel.replayProtection,
    allow_null_cipher: tunnel.allowNullCipher,
    ...bgpView(tunnel),
    created_on: tunnel.createdOn,
    modified_on: tunnel.modifiedOn,
    psk_metadata: pskMetadata(tunnel),
  };
}

function healthCheckView(tunnel: TunnelRecord, { objectTarget }: ViewOptions): Record<string, unknown> {
  const { enabled, type, direction, rate, target: saved } = tunnel.healthCheck;
  // Cloudflare computes the default target from the customer side; an empty saved target means "the default".
  const effective = saved === '' ? (tunnel.customerEndpoint ?? '') : saved;
  // The string form's content when nothing is saved is not documented; the simulator shows the effective target.
  const target = objectTarget ? { effective, saved } : effective;
  return { enabled, type, direction, rate, ...(target === '' ? {} : { target }) };
}

function bgpView(tunnel: TunnelRecord): Record<string, unknown> {
  if (!tunnel.bgp) return {};
  const { customerAsn, state, updatedAt } = tunnel.bgp;
  const speakers = speakerAddresses(tunnel.interfaceAddress);
  return {
    bgp: { customer_asn: customerAsn },
    bgp_status: {
      state,
      tcp_established: state === 'BGP_UP',
      updated_at: updatedAt,
      bgp_state: state === 'BGP_UP' ? 'Established' : state === 'BGP_DOWN' ? 'Idle' : 'Connect',
      ...(speakers ? { cf_speaker_ip: speakers.cloudflare, customer_speaker_ip: speakers.customer } : {}),
    },
  };
}

/** The two hosts of an IPv4 /31: Cloudflare's side is the address given, the customer's the other one. */
function speakerAddresses(cidr: string): { cloudflare: string; customer: string } | undefined {
  const [address = '', prefix] = cidr.split('/');
  if (prefix !== '31' || isIP(address) !== 4) return undefined;
  const octets = address.split('.').map(Number);
  const last = octets[3] ?? 0;
  const other = [...octets.slice(0, 3), last % 2 === 0 ? last + 1 : last - 1].join('.');
  return { cloudflare: address, customer: other };
}
