import type { Secret } from '@ipsec-psk/core';
import type { AskedVia } from './confirm/channel.js';
import type { TunnelDetailsForDelivery } from './delivery/tunnel-details.js';
import type { KeyAge } from './one/check-back.js';
import type { DeliveryOutput, HealthOutput, RotationOutput } from './output.js';
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
  /** The user's answer to a form the flow returned earlier (`ask`), with the state that came with it. */
  reply?: FormReply | undefined;
}

/** A user's answer to a question asked in an earlier request, and the signed state that ties it to that question. */
export interface FormReply {
  requestState: string;
  answer: ConfirmAnswer;
}

/**
 * A question for the user that the front end carries in its answer (MCP 2026-07-28's `input_required`): the
 * client shows it and calls again with the answer and `requestState` as a `reply`.
 */
export interface AskLater {
  question: string;
  /** Signed, single-use, bound to the principal and the exact request; it confirms nothing without the answer. */
  requestState: string;
  expiresAt: Date;
}

/** What only the View may see (MCP Apps hosts hand a result's `_meta` to the View, not to the model). */
export interface ViewOnly {
  /** Opens the panel's confirmation, together with the confirmation_id the model also sees. */
  panel_secret: string;
}

/** A done call's answer: the structured result, its text, and what only the View may see. */
export interface Answered<O> {
  output: O;
  text: string;
  viewOnly?: ViewOnly | undefined;
}

/** A result for the assistant, a question to carry back to the user, or a tool error with a safe message. */
export type RotationAnswer = Answered<RotationOutput> | { ask: AskLater } | { error: string };

/** The user's answer to a confirmation question. */
export type ConfirmAnswer = 'accept' | 'decline' | 'cancel';

/** How to ask the user, as far as the connected client allows. */
export interface Confirmer {
  /** Whether the client can show the user a form (MCP form elicitation). */
  readonly canAsk: boolean;
  /** Whether the client renders MCP Apps (the confirmation panel). */
  readonly canShowApp: boolean;
  /**
   * The form is answered in a later request (MCP 2026-07-28): instead of calling `ask`, the flow answers `ask` with
   * the question and a `requestState`, and the front end calls it again with the user's `reply`.
   */
  readonly asksLater?: boolean;
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
  /** Configuration text for the device, with the key, written by delivery (0600, beside the key). */
  configFile?: string | undefined;
}

/** What the panel's Reveal shows: the key, and the device's configuration text when delivery wrote one. */
export interface Revealed extends RevealableKey {
  config?: Secret | undefined;
}

/** What became of a fleet's keys after Cloudflare's answer, by tunnel id: delivery, then Cloudflare's health view. */
export interface AfterSend {
  deliveries?: ReadonlyMap<string, DeliveryOutput> | undefined;
  health?: ReadonlyMap<string, HealthOutput> | undefined;
}
