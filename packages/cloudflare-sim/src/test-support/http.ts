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

/** The tunnel's URL on the simulator. */
export function tunnelUrl(sim: Simulator, options: CallOptions = {}): string {
  return `${sim.url}/accounts/${options.accountId ?? DEMO_ACCOUNT_ID}/magic/ipsec_tunnels/${options.tunnelId ?? DEMO_TUNNEL_ID}`;
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

/** The parsed Cloudflare envelope of a response. */
export interface Envelope {
  /** Whether the call succeeded. */
  success: boolean;
  /** Errors. */
  errors: { code: number; message: string; source?: { pointer?: string } }[];
  /** Messages. */
  messages: unknown[];
  /** The result; for psk_generate and get_tunnel, an object. */
  result: Record<string, unknown> & {
    psk?: string;
    psk_metadata?: { last_generated_on?: string };
    ipsec_tunnel?: Record<string, unknown>;
  };
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
