import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID } from '../demo.js';
import type { Simulator } from '../types.js';

/** The bearer token the test simulators accept. */
export const TOKEN = 'tok_Sim7Secret0Value1Never2Echo3';

/** Headers that authenticate with `TOKEN` and declare a JSON body. */
export const authHeaders: Record<string, string> = {
  authorization: `Bearer ${TOKEN}`,
  'content-type': 'application/json',
};

/** Where a request goes and what it carries. */
export interface CallOptions {
  /** Account id as it appears in the path (not encoded further). */
  accountId?: string;
  /** Tunnel id as it appears in the path (not encoded further). */
  tunnelId?: string;
  /** Raw query string without `?`. */
  query?: string;
  /** Headers replacing `authHeaders`. */
  headers?: Record<string, string>;
  /** Request body; default `{}` for POST. Null sends none. */
  body?: string | null;
  /** Abort signal for the fetch. */
  signal?: AbortSignal;
}

/** The account's tunnel collection URL on the simulator. */
export function tunnelsUrl(sim: Simulator, options: CallOptions = {}): string {
  return `${sim.url}/accounts/${options.accountId ?? DEMO_ACCOUNT_ID}/magic/ipsec_tunnels`;
}

/** The tunnel's URL on the simulator. */
export function tunnelUrl(sim: Simulator, options: CallOptions = {}): string {
  return `${tunnelsUrl(sim, options)}/${options.tunnelId ?? DEMO_TUNNEL_ID}`;
}

/** POST psk_generate the way the documented client does. */
export function generate(sim: Simulator, options: CallOptions = {}): Promise<Response> {
  const query = options.query === undefined ? '' : `?${options.query}`;
  const body = options.body === undefined ? '{}' : options.body;
  return fetch(`${tunnelUrl(sim, options)}/psk_generate${query}`, {
    method: 'POST',
    headers: options.headers ?? authHeaders,
    ...(body === null ? {} : { body }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** GET the tunnel. */
export function getTunnel(sim: Simulator, options: CallOptions = {}): Promise<Response> {
  return fetch(tunnelUrl(sim, options), { headers: options.headers ?? authHeaders });
}

/** GET the account's tunnels. */
export function listTunnels(sim: Simulator, options: CallOptions = {}): Promise<Response> {
  return fetch(tunnelsUrl(sim, options), { headers: options.headers ?? authHeaders });
}

/** POST set_psks with these entries (`options.body` replaces the body built from them). */
export function setPsks(
  sim: Simulator,
  psks: { id: string; psk: string }[],
  options: CallOptions = {},
): Promise<Response> {
  const query = options.query === undefined ? '' : `?${options.query}`;
  const body = options.body === undefined ? JSON.stringify({ psks }) : options.body;
  return fetch(`${tunnelsUrl(sim, options)}/psk${query}`, {
    method: 'POST',
    headers: options.headers ?? authHeaders,
    ...(body === null ? {} : { body }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** The parsed Cloudflare envelope of a response. */
export interface Envelope {
  /** Whether the call succeeded. */
  success: boolean;
  /** Errors. */
  errors: { code: number; message: string; source?: { pointer?: string } }[];
  /** Messages. */
  messages: unknown[];
  /** The result; an object for every operation. */
  result: Record<string, unknown> & {
    psk?: string;
    psk_metadata?: { last_generated_on?: string };
    ipsec_tunnel?: Record<string, unknown>;
    ipsec_tunnels?: Record<string, unknown>[];
    successfully_applied_psks?: Record<string, AppliedPsk>;
    unapplied_psks?: Record<string, string>;
  };
}

/** One entry of `set_psks`'s `successfully_applied_psks`. */
export interface AppliedPsk {
  /** Tunnel id. */
  ipsec_tunnel_id: string;
  /** IKE identifier. */
  ipsec_id: string;
  /** The key as applied. */
  psk?: string;
  /** When it was applied. */
  psk_metadata: { last_generated_on?: string };
}

/** Read a response's JSON envelope. */
export async function envelope(response: Response): Promise<Envelope> {
  return (await response.json()) as Envelope;
}

/** A clock tests move by hand. */
export function manualClock(start: string): { now: () => Date; advance: (ms: number) => void } {
  let time = new Date(start).getTime();
  return { now: () => new Date(time), advance: (ms) => (time += ms) };
}
