import { randomBytes } from 'node:crypto';
import type {
  SimAccountInit,
  SimHealthCheckInit,
  SimTunnelHealth,
  SimTunnelInit,
  SimTunnelState,
} from './types.js';

/** A tunnel as the simulator keeps it. */
export interface TunnelRecord {
  /** Tunnel identifier. */
  id: string;
  /** Tunnel name. */
  name: string;
  /** Optional description. */
  description: string | undefined;
  /** Cloudflare-side IP address. */
  cloudflareEndpoint: string;
  /** The /31 interface address. */
  interfaceAddress: string;
  /** Customer-side IP address. */
  customerEndpoint: string | undefined;
  /** The /127 IPv6 interface address. */
  interfaceAddress6: string | undefined;
  /** The custom IKE ID (FQDN). */
  customRemoteIdentity: string | undefined;
  /** The health check configuration, defaults applied. */
  healthCheck: Required<Omit<SimHealthCheckInit, 'target'>> & { target: string };
  /** Replay protection in the Cloudflare-to-customer direction. */
  replayProtection: boolean;
  /** Whether ESP may use the null cipher. */
  allowNullCipher: boolean;
  /** BGP configuration and session state, when the tunnel uses BGP. */
  bgp:
    | { customerAsn: number; state: 'BGP_UP' | 'BGP_DOWN' | 'BGP_ESTABLISHING'; updatedAt: string }
    | undefined;
  /** Health in the simulator's own model; undefined for no data. */
  tunnelState: SimTunnelHealth | undefined;
  /** Creation time (ISO 8601). */
  createdOn: string;
  /** Last modification time (ISO 8601). */
  modifiedOn: string;
  /** Current PSK. */
  psk: string | undefined;
  /** Time of the last PSK generation or set (ISO 8601). */
  lastGeneratedOn: string | undefined;
  /** Persisted generations and sets. */
  rotations: number;
}

/** All accounts and tunnels, keyed by account id then tunnel id. */
export class SimState {
  readonly #accounts = new Map<string, Map<string, TunnelRecord>>();

  constructor(accounts: SimAccountInit[], startedOn: string) {
    for (const account of accounts) {
      const tunnels = this.#accounts.get(account.id) ?? new Map<string, TunnelRecord>();
      account.tunnels.forEach((init, index) => {
        tunnels.set(init.id, toRecord(init, index, startedOn));
      });
      this.#accounts.set(account.id, tunnels);
    }
  }

  /** Whether the account exists. */
  hasAccount(accountId: string): boolean {
    return this.#accounts.has(accountId);
  }

  /** The live tunnel record, for the handler to change. */
  find(accountId: string, tunnelId: string): TunnelRecord | undefined {
    return this.#accounts.get(accountId)?.get(tunnelId);
  }

  /** The account's live tunnel records in the order they were configured; empty for an unknown account. */
  tunnels(accountId: string): TunnelRecord[] {
    return [...(this.#accounts.get(accountId)?.values() ?? [])];
  }

  /** A copy of a tunnel's state, safe to hand out. */
  snapshot(accountId: string, tunnelId: string): SimTunnelState | undefined {
    const tunnel = this.find(accountId, tunnelId);
    if (!tunnel) return undefined;
    const { id, name, psk, lastGeneratedOn, rotations, tunnelState } = tunnel;
    return { id, name, psk, lastGeneratedOn, rotations, tunnelState };
  }

  /** Set a tunnel's health in the simulator's own model; RangeError for an unknown tunnel or another value. */
  setTunnelState(accountId: string, tunnelId: string, state: SimTunnelHealth | undefined): void {
    const tunnel = this.find(accountId, tunnelId);
    if (!tunnel) throw new RangeError('setTunnelState: no such tunnel in that account');
    tunnel.tunnelState = checkedState(state, 'setTunnelState');
  }

  /** Replace the tunnel's PSK with a fresh one, as a persisted `psk_generate` does. */
  rotate(tunnel: TunnelRecord, now: Date): void {
    this.setPsk(tunnel, generatePsk(), now);
  }

  /** Replace the tunnel's PSK with the given one, as a persisted `set_psks` does. */
  setPsk(tunnel: TunnelRecord, psk: string, now: Date): void {
    const at = isoSeconds(now);
    tunnel.psk = psk;
    tunnel.lastGeneratedOn = at;
    tunnel.modifiedOn = at;
    tunnel.rotations += 1;
  }
}

const HEALTH_STATES: readonly (SimTunnelHealth | undefined)[] = [0, 0.5, 1, undefined];

function checkedState(state: SimTunnelHealth | undefined, where: string): SimTunnelHealth | undefined {
  if (!HEALTH_STATES.includes(state))
    throw new RangeError(`${where}: a tunnel state is 0, 0.5, 1 or undefined`);
  return state;
}

function toRecord(init: SimTunnelInit, index: number, startedOn: string): TunnelRecord {
  const check = init.healthCheck ?? {};
  return {
    id: init.id,
    name: init.name,
    description: init.description,
    // TEST-NET-3/TEST-NET-2 and a private /31, so a default never points anywhere real; /31s stay distinct in
    // large accounts.
    cloudflareEndpoint: init.cloudflareEndpoint ?? `203.0.113.${(index % 250) + 1}`,
    interfaceAddress:
      init.interfaceAddress ?? `10.212.${Math.floor(index / 128) % 256}.${(index % 128) * 2}/31`,
    customerEndpoint: init.customerEndpoint ?? `198.51.100.${(index % 250) + 1}`,
    interfaceAddress6: init.interfaceAddress6,
    customRemoteIdentity: init.customRemoteIdentity,
    healthCheck: {
      enabled: check.enabled ?? true,
      type: check.type ?? 'reply',
      direction: check.direction ?? 'unidirectional',
      rate: check.rate ?? 'mid',
      target: check.target ?? '',
    },
    replayProtection: init.replayProtection ?? false,
    allowNullCipher: init.allowNullCipher ?? false,
    bgp: init.bgp && {
      customerAsn: init.bgp.customerAsn,
      state: init.bgp.state ?? 'BGP_UP',
      updatedAt: startedOn,
    },
    tunnelState: init.tunnelState === null ? undefined : checkedState(init.tunnelState ?? 1, 'tunnelState'),
    createdOn: startedOn,
    modifiedOn: init.lastGeneratedOn ?? startedOn,
    psk: undefined,
    lastGeneratedOn: init.lastGeneratedOn,
    rotations: 0,
  };
}

const pskAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Bytes at or above this would bias the alphabet (256 is not a multiple of 62). */
const unbiasedLimit = 256 - (256 % pskAlphabet.length);

/** A random 32-character PSK from [A-Za-z0-9], like Cloudflare's. */
export function generatePsk(length = 32): string {
  let psk = '';
  while (psk.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < unbiasedLimit && psk.length < length) psk += pskAlphabet[byte % pskAlphabet.length];
    }
  }
  return psk;
}

/** ISO 8601 at second precision, as Cloudflare writes times (e.g. `2026-11-27T00:20:00Z`). */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
