import type { Secret } from '@ipsec-psk/core';
import type { IkeIdentity } from '../config-types.js';

// What every platform's template shares: its input (only checked values: addresses, identities and names of a
// strict shape, so nothing from the API can add a line), placeholders for what is not known, and key quoting.

/** What a template is built from. */
export interface TemplateInput {
  tunnelId: string;
  /** The tunnel's name, neutralised; only ever shown in a comment, through `commentText`. */
  tunnelName: string | undefined;
  key: Secret;
  /** The device's IKE identity, when known. */
  localId: IkeIdentity | undefined;
  /** Cloudflare's endpoint (anycast) IP. */
  cloudflareEndpoint: string | undefined;
  /** The device's WAN IP, when the tunnel has a customer endpoint. */
  customerEndpoint: string | undefined;
  /** The device's side of the interface address, and Cloudflare's. */
  deviceInterface: { address: string; prefix: 30 | 31 } | undefined;
  cloudflareInterface: { address: string; prefix: 30 | 31 } | undefined;
  /** The device's WAN interface, when the operator named it. */
  wanInterface: string | undefined;
}

/** A key this platform's syntax cannot carry safely (the reason names the characters' class, never the key). */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/** Values a template could not fill, in the order first used; each becomes `<NAME>` in the text. */
export class Placeholders {
  private readonly names: string[] = [];

  /** The value, or its placeholder (remembered for the header). */
  fill(value: string | undefined, name: string): string {
    if (value !== undefined) return value;
    if (!this.names.includes(name)) this.names.push(name);
    return `<${name}>`;
  }

  /** The header line listing what the operator must still fill in, or that nothing is missing. */
  line(comment: string): string {
    return this.names.length === 0
      ? `${comment} Every value is filled in from the tunnel's details.`
      : `${comment} Fill in before use: ${this.names.map((name) => `<${name}>`).join(', ')}.`;
  }
}

/** A tunnel name for a comment: only letters, digits and `._-` survive, so it can neither end the comment nor inject. */
export function commentText(name: string | undefined): string {
  if (!name) return '(unknown)';
  return name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
}

/** The key as hex of its UTF-8 bytes: the encoding every platform that takes one reads without quoting rules. */
export function hexKey(key: Secret): string {
  return Buffer.from(key.reveal(), 'utf8').toString('hex');
}

/** Letters, digits, `-` and `_`: needs no quoting on any platform (Cloudflare's keys are letters and digits). */
export function isPlainKey(key: Secret): boolean {
  return /^[A-Za-z0-9_-]+$/.test(key.reveal());
}

/** Printable ASCII other than `"` and `\`: safe between double quotes where no escape rules are documented. */
export function isQuotableKey(key: Secret): boolean {
  return /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/.test(key.reveal());
}

/** strongSwan (and FortiOS) read a `0x` (and strongSwan a `0s`) prefix as an encoding, even inside quotes. */
export function hasEncodingPrefix(key: Secret): boolean {
  return /^0[xXsS]/.test(key.reveal());
}

/** A short, stable object name for the tunnel: `cf-` and the first 12 hex digits of its id. */
export function objectName(tunnelId: string): string {
  return `cf-${tunnelId
    .toLowerCase()
    .replace(/[^0-9a-z]/g, '')
    .slice(0, 12)}`;
}

/** A stable interface number for the tunnel (100–999) from its id; change it if the device already uses it. */
export function interfaceNumber(tunnelId: string): number {
  const digits = Number.parseInt(tunnelId.replace(/[^0-9a-f]/gi, '').slice(0, 6) || '0', 16);
  return 100 + (digits % 900);
}

/** A dotted IPv4 netmask for a /30 or /31. */
export function netmask(prefix: 30 | 31): string {
  return prefix === 31 ? '255.255.255.254' : '255.255.255.252';
}

/** The identity's value, or the placeholder. */
export function identityValue(identity: IkeIdentity | undefined, placeholders: Placeholders): string {
  return placeholders.fill(identity?.value, 'LOCAL_IKE_ID');
}

/** The Cloudflare WAN parameters every template follows (CF-ref): IKEv2, PSK, AES-256, SHA2-256, DH group 20. */
export const CLOUDFLARE_REFERENCE =
  'https://developers.cloudflare.com/cloudflare-wan/reference/gre-ipsec-tunnels/';
