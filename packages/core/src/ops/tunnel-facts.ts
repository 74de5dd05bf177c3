// What a tunnel record tells the one delivering a key to the customer device: addresses, the IKE identity, the
// health check and the ESP options. API values are untrusted and end up in device configuration, so only values of
// the documented shape become facts; anything else (a wrong type, a stray character, a hostname where an address
// belongs) is left undefined for the caller to notice, never passed on.
import { isRecord, optionalRecord } from '../envelope.js';
import type { components } from '../generated/openapi.js';

type Tunnel = components['schemas']['magic_ipsec-tunnel'];
// The fields read, checked against the generated types: a field renamed in the spec fails to compile.
const CUSTOMER_ENDPOINT = 'customer_endpoint' satisfies keyof Tunnel;
const CLOUDFLARE_ENDPOINT = 'cloudflare_endpoint' satisfies keyof Tunnel;
const INTERFACE_ADDRESS = 'interface_address' satisfies keyof Tunnel;
const INTERFACE_ADDRESS6 = 'interface_address6' satisfies keyof Tunnel;
const REMOTE_IDENTITIES = 'custom_remote_identities' satisfies keyof Tunnel;
const FQDN_ID = 'fqdn_id' satisfies keyof components['schemas']['magic_custom_remote_identities'];
const HEALTH_CHECK = 'health_check' satisfies keyof Tunnel;
const ENABLED = 'enabled' satisfies keyof components['schemas']['magic_tunnel_health_check'];
const REPLAY_PROTECTION = 'replay_protection' satisfies keyof Tunnel;
const ALLOW_NULL_CIPHER = 'allow_null_cipher' satisfies keyof Tunnel;
const BGP_STATUS = 'bgp_status' satisfies keyof Tunnel;
const BGP_STATE = 'state' satisfies keyof components['schemas']['magic_bgp_status_with_state'];

/** A BGP session state as Cloudflare reports it. */
export type BgpState = components['schemas']['magic_bgp_status_with_state']['state'];
const BGP_STATES: readonly string[] = ['BGP_UP', 'BGP_DOWN', 'BGP_ESTABLISHING'] satisfies BgpState[];

/**
 * The delivery facts of a tunnel; each is undefined unless Cloudflare sent a value of the documented shape. Core
 * always sets every one (optional only so that hand-made details, in tests, need not list them).
 */
export interface TunnelFacts {
  /** The customer side's IP address (IPv4 or IPv6), the device's local address. */
  customerEndpoint?: string | undefined;
  /** Cloudflare's side's IP address: the device's remote gateway and, by default, Cloudflare's IKE ID. */
  cloudflareEndpoint?: string | undefined;
  /** The tunnel's IPv4 interface prefix in CIDR form (Cloudflare's side; the /31's other host is the device's). */
  interfaceAddress?: string | undefined;
  /** The tunnel's IPv6 interface prefix in CIDR form. */
  interfaceAddress6?: string | undefined;
  /** The custom IKE ID of type FQDN (`<label>.<account>.custom.ipsec.cloudflare.com`), if one is set. */
  customRemoteIdentity?: string | undefined;
  /** Whether Cloudflare runs health checks on the tunnel; without them there is no health to wait for. */
  healthCheckEnabled?: boolean | undefined;
  /** Whether replay protection is on in the Cloudflare-to-customer direction. */
  replayProtection?: boolean | undefined;
  /** Whether ESP may use the null cipher. */
  allowNullCipher?: boolean | undefined;
  /** The BGP session's state, for a tunnel that uses BGP (an undocumented signal of the tunnel being up). */
  bgpState?: BgpState | undefined;
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6_CHARACTERS = /^[0-9A-Fa-f:.]{2,45}$/;
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const CUSTOM_FQDN = new RegExp(`^${LABEL}\\.${LABEL}\\.custom\\.ipsec\\.cloudflare\\.com$`, 'i');

/** Whether `value` is an IPv4 address in dotted-decimal form (no leading zeros, which some parsers read as octal). */
export function isIpv4Address(value: string): boolean {
  return IPV4.test(value);
}

/** Whether `value` is an IPv6 address (without a zone), as the URL parser reads one. */
export function isIpv6Address(value: string): boolean {
  if (!IPV6_CHARACTERS.test(value) || !value.includes(':')) return false;
  try {
    // The WHATWG URL parser implements the full IPv6 grammar, on every platform this package runs on.
    return new URL(`http://[${value}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

function address(value: unknown): string | undefined {
  return typeof value === 'string' && (isIpv4Address(value) || isIpv6Address(value)) ? value : undefined;
}

function cidr(value: unknown, version: 4 | 6): string | undefined {
  if (typeof value !== 'string') return undefined;
  const [ip = '', prefix, ...rest] = value.split('/');
  if (prefix === undefined || rest.length > 0 || !/^(?:0|[1-9]\d{0,2})$/.test(prefix)) return undefined;
  const valid =
    version === 4 ? isIpv4Address(ip) && Number(prefix) <= 32 : isIpv6Address(ip) && Number(prefix) <= 128;
  return valid ? value : undefined;
}

function boolean(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

/** The validated delivery facts of a tunnel record as Cloudflare sent it. */
export function tunnelFacts(record: Record<string, unknown>): TunnelFacts {
  const fqdn = optionalRecord(record, REMOTE_IDENTITIES)?.[FQDN_ID];
  const bgpState = optionalRecord(record, BGP_STATUS)?.[BGP_STATE];
  const healthCheck = record[HEALTH_CHECK];
  return {
    customerEndpoint: address(record[CUSTOMER_ENDPOINT]),
    cloudflareEndpoint: address(record[CLOUDFLARE_ENDPOINT]),
    interfaceAddress: cidr(record[INTERFACE_ADDRESS], 4),
    interfaceAddress6: cidr(record[INTERFACE_ADDRESS6], 6),
    customRemoteIdentity:
      typeof fqdn === 'string' && fqdn.length <= 253 && CUSTOM_FQDN.test(fqdn) ? fqdn : undefined,
    healthCheckEnabled: isRecord(healthCheck) ? boolean(healthCheck[ENABLED]) : undefined,
    replayProtection: boolean(record[REPLAY_PROTECTION]),
    allowNullCipher: boolean(record[ALLOW_NULL_CIPHER]),
    bgpState:
      typeof bgpState === 'string' && BGP_STATES.includes(bgpState) ? (bgpState as BgpState) : undefined,
  };
}
