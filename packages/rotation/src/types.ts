import type { Secret } from '@ipsec-psk/core';
import type { AskedVia } from './confirm/channel.js';
import type { TunnelDetailsForDelivery } from './delivery/tunnel-details.js';
import type { KeyAge } from './one/check-back.js';
import type { RotationOutput } from './output.js';
import type { TunnelHistory } from './store/rotation-history.js';

export type { AskedVia } from './confirm/channel.js';
export type { RotationOutput } from './output.js';

// The types the flows and every front end share. Nothing here imports a flow, so no flow imports another through
// its types.

/** A one-tunnel call's arguments (generate_ipsec_psk's, snake_case), after schema validation. */
export interface RotationInput {
  account_id?: string | undefined;
  ipsec_tunnel_id: string;
  validate_only?: boolean | undefined;
  confirmation_token?: string | undefined;
}

/** A result for the assistant, or a tool error (`isError: true`) with a safe message. */
export type RotationAnswer = { output: RotationOutput; text: string } | { error: string };

/** The user's answer to a confirmation question. */
export type ConfirmAnswer = 'accept' | 'decline' | 'cancel';

/** How to ask the user, as far as the connected client allows. */
export interface Confirmer {
  /** Whether the client can show the user a form (MCP form elicitation). */
  readonly canAsk: boolean;
  /** Whether the client renders MCP Apps (the confirmation panel). */
  readonly canShowApp: boolean;
  /** How `ask` reaches the user, for the audit log; default a form (MCP elicitation). */
  readonly via?: AskedVia;
  ask(message: string): Promise<ConfirmAnswer>;
}

/** The account and tunnel a call is about, checked. */
export interface Target {
  accountId: string;
  tunnelId: string;
}

/** What a tunnel read returned. */
export interface TunnelFacts {
  /** The name as Cloudflare sent it (untrusted); shown only through the text helpers. */
  name: string | undefined;
  lastGeneratedOn: KeyAge;
  /** What delivery needs of the tunnel (endpoints, identities), read with the rest; absent when not read. */
  details?: TunnelDetailsForDelivery | undefined;
}

/** What is known before the user is asked. */
export interface Prepared {
  facts: TunnelFacts;
  history: TunnelHistory;
}

/** What was known of one tunnel of a fleet when the user was asked. */
export interface FleetTunnelFacts extends TunnelFacts {
  id: string;
}

/** A key the panel may show, for a while after its rotation. */
export interface RevealableKey {
  psk: Secret;
  fingerprint: string;
  file: string | undefined;
}
