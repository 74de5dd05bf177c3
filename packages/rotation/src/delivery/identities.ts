import { isIP } from 'node:net';
import type { IkeIdentity } from './config-types.js';

// IKE identities and addresses, from the operator's file or from Cloudflare's answers. Everything from the API is
// untrusted text that ends up in a device's configuration, so each value must match a strict shape or it is not
// used at all: a tunnel name or identity can then never inject a line into a configuration.

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOSTNAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`);
// Cloudflare's ipsec_id looks like `<account>_<tunnel>`; a key id is sent as the bytes of this text.
const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

/** A hostname (the FQDN form of an IKE identity), or undefined. */
export function checkedHostname(value: unknown): string | undefined {
  return typeof value === 'string' && HOSTNAME.test(value) ? value : undefined;
}

/** An IPv4 or IPv6 address in plain form, or undefined. */
export function checkedAddress(value: unknown): string | undefined {
  return typeof value === 'string' && isIP(value) !== 0 ? value : undefined;
}

/** A key-id identity's text, or undefined. */
export function checkedKeyId(value: unknown): string | undefined {
  return typeof value === 'string' && KEY_ID.test(value) ? value : undefined;
}

/**
 * An identity as the delivery file writes it, in strongSwan's notation: `fqdn:<name>`, `keyid:<text>`, or an IP
 * address or host name whose type is plain from its form. Undefined when it has none of these shapes.
 */
export function parseIdentity(text: string): IkeIdentity | undefined {
  const [prefix, rest] = text.includes(':') && isIP(text) === 0 ? splitPrefix(text) : [undefined, text];
  if (prefix === 'keyid') {
    const value = checkedKeyId(rest);
    return value ? { type: 'keyid', value } : undefined;
  }
  if (prefix !== undefined && prefix !== 'fqdn') return undefined;
  const ipVersion = prefix === undefined ? isIP(rest) : 0;
  if (ipVersion !== 0) return { type: ipVersion === 4 ? 'ipv4' : 'ipv6', value: rest };
  const host = checkedHostname(rest);
  return host ? { type: 'fqdn', value: host } : undefined;
}

function splitPrefix(text: string): [string, string] {
  const at = text.indexOf(':');
  return [text.slice(0, at), text.slice(at + 1)];
}

/** An identity in strongSwan's notation (swanctl.conf `id`, VICI `owners`): the type explicit, never guessed. */
export function strongswanIdentity(identity: IkeIdentity): string {
  switch (identity.type) {
    case 'fqdn':
      return `fqdn:${identity.value}`;
    case 'keyid':
      return `keyid:${identity.value}`;
    default:
      return identity.value;
  }
}

/** What delivery knows of a tunnel's identities. */
export interface IdentitySources {
  /** Cloudflare's `custom_remote_identities.fqdn_id`. */
  customRemoteIdentity?: string | undefined;
  /** Set PSKs' `ipsec_id` for this tunnel (Generate PSK does not return one). */
  ipsecId?: string | undefined;
  /** Cloudflare's endpoint (anycast) IP. */
  cloudflareEndpoint?: string | undefined;
}

/**
 * The identity the device presents: the operator's, else the tunnel's custom FQDN identity, else Set PSKs'
 * `ipsec_id` (Cloudflare's key-id form). Never computed from ids: the account number in Cloudflare's generated
 * FQDN is not the API's account id, so a computed one would be wrong.
 */
export function localIdentity(
  configured: IkeIdentity | undefined,
  sources: IdentitySources,
): IkeIdentity | undefined {
  if (configured) return configured;
  const fqdn = checkedHostname(sources.customRemoteIdentity);
  if (fqdn) return { type: 'fqdn', value: fqdn };
  const keyId = checkedKeyId(sources.ipsecId);
  return keyId ? { type: 'keyid', value: keyId } : undefined;
}

/** The identity Cloudflare presents: the operator's, else its endpoint IP (as every Cloudflare guide has it). */
export function remoteIdentity(
  configured: IkeIdentity | undefined,
  sources: IdentitySources,
): IkeIdentity | undefined {
  if (configured) return configured;
  const address = checkedAddress(sources.cloudflareEndpoint);
  if (!address) return undefined;
  return { type: isIP(address) === 4 ? 'ipv4' : 'ipv6', value: address };
}

/** An IPv4 interface address `a.b.c.d/31` or `/30`, split; undefined for any other shape. */
export function checkedInterface(value: unknown): { address: string; prefix: 30 | 31 } | undefined {
  if (typeof value !== 'string') return undefined;
  const [address, prefix, extra] = value.split('/');
  if (extra !== undefined || address === undefined || isIP(address) !== 4) return undefined;
  if (prefix !== '30' && prefix !== '31') return undefined;
  return { address, prefix: Number(prefix) as 30 | 31 };
}

/**
 * The device's side of the tunnel's interface address. Cloudflare's `interface_address` is Cloudflare's side; the
 * device takes the other host of the /31 (or of the two hosts of a /30).
 */
export function deviceInterface(value: unknown): { address: string; prefix: 30 | 31 } | undefined {
  const cloudflare = checkedInterface(value);
  if (!cloudflare) return undefined;
  const octets = cloudflare.address.split('.').map(Number);
  const last = octets[3] ?? 0;
  if (cloudflare.prefix === 31) {
    octets[3] = last ^ 1;
  } else {
    const host = last & 3;
    // A /30's hosts are .1 and .2 of its block; the network and broadcast addresses are nobody's side.
    if (host !== 1 && host !== 2) return undefined;
    octets[3] = last ^ 3;
  }
  return { address: octets.join('.'), prefix: cloudflare.prefix };
}
