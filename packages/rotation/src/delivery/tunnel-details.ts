import type { IpsecTunnelDetails, TunnelFacts } from '@ipsec-psk/core';

/**
 * What delivery needs of a tunnel beyond its id and name: Cloudflare's endpoints (the device's peer and Cloudflare's
 * IKE identity; the device's own address), the tunnel's interface prefix, the device's custom FQDN identity, and
 * whether Cloudflare health-checks the tunnel (the check after delivery needs it).
 * Core sets each only when Cloudflare's value has the documented shape, so API text never reaches a device's
 * configuration unchecked.
 */
export type TunnelDetailsForDelivery = Pick<
  TunnelFacts,
  | 'cloudflareEndpoint'
  | 'customerEndpoint'
  | 'interfaceAddress'
  | 'customRemoteIdentity'
  | 'healthCheckEnabled'
>;

/** The delivery details of a tunnel as core reads it (`getIpsecTunnel`, `listIpsecTunnels`). */
export function deliveryDetails(tunnel: IpsecTunnelDetails): TunnelDetailsForDelivery {
  const details: TunnelDetailsForDelivery = {
    cloudflareEndpoint: tunnel.cloudflareEndpoint,
    customerEndpoint: tunnel.customerEndpoint,
    interfaceAddress: tunnel.interfaceAddress,
    customRemoteIdentity: tunnel.customRemoteIdentity,
    healthCheckEnabled: tunnel.healthCheckEnabled,
  };
  for (const key of Object.keys(details) as (keyof TunnelDetailsForDelivery)[]) {
    if (details[key] === undefined) delete details[key];
  }
  return details;
}
