import type { TunnelRecord } from './state.js';

/** The spec's `psk_metadata`; `last_generated_on` is absent while no key was ever generated. */
export function pskMetadata(tunnel: TunnelRecord): { last_generated_on?: string } {
  return tunnel.lastGeneratedOn === undefined ? {} : { last_generated_on: tunnel.lastGeneratedOn };
}

/** The spec's `ipsec_tunnel`. It never includes the PSK: Cloudflare does not return a key once generated. */
export function tunnelView(tunnel: TunnelRecord): Record<string, unknown> {
  return {
    id: tunnel.id,
    name: tunnel.name,
    ...(tunnel.description === undefined ? {} : { description: tunnel.description }),
    cloudflare_endpoint: tunnel.cloudflareEndpoint,
    interface_address: tunnel.interfaceAddress,
    created_on: tunnel.createdOn,
    modified_on: tunnel.modifiedOn,
    psk_metadata: pskMetadata(tunnel),
  };
}
