import type { IpsecTunnelDetails } from '@ipsec-psk/core';
import { checkedAddress, checkedHostname, checkedInterface } from './identities.js';

/**
 * What delivery needs of a tunnel beyond its id and name: Cloudflare's facts, each checked (API text is untrusted
 * and ends up in device configuration; a value of the wrong shape is left out).
 */
export interface TunnelDetailsForDelivery {
  /** Cloudflare's endpoint (anycast) IP: the device's peer, and Cloudflare's IKE identity. */
  cloudflareEndpoint?: string | undefined;
  /** The customer device's WAN IP, when set on the tunnel. */
  customerEndpoint?: string | undefined;
  /** The tunnel's interface address (/31 or /30), Cloudflare's side. */
  interfaceAddress?: string | undefined;
  /** `custom_remote_identities.fqdn_id`: the device's custom FQDN identity, when set. */
  customRemoteIdentity?: string | undefined;
}

/** A record's string field, or undefined. */
function field(record: unknown, name: string): unknown {
  return typeof record === 'object' && record !== null
    ? (record as Record<string, unknown>)[name]
    : undefined;
}

/**
 * The delivery details of a tunnel as core reads it (`getIpsecTunnel`, `listIpsecTunnels`), from the typed record
 * the spec describes. When core's IpsecTunnelDetails carries these fields itself, only this function changes.
 */
export function deliveryDetails(tunnel: IpsecTunnelDetails): TunnelDetailsForDelivery {
  const record = tunnel.tunnel;
  const interfaceAddress = field(record, 'interface_address');
  const details: TunnelDetailsForDelivery = {
    cloudflareEndpoint: checkedAddress(field(record, 'cloudflare_endpoint')),
    customerEndpoint: checkedAddress(field(record, 'customer_endpoint')),
    interfaceAddress: checkedInterface(interfaceAddress) ? (interfaceAddress as string) : undefined,
    customRemoteIdentity: checkedHostname(field(field(record, 'custom_remote_identities'), 'fqdn_id')),
  };
  for (const key of Object.keys(details) as (keyof TunnelDetailsForDelivery)[]) {
    if (details[key] === undefined) delete details[key];
  }
  return details;
}
