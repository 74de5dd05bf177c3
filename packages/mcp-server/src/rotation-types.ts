import type { KeyAge } from './check-back.js';
import type { TunnelHistory } from './rotation-history.js';
import type { RotationOutput } from './rotation-output.js';

export type { RotationOutput } from './rotation-output.js';

/** The tool's arguments after schema validation. */
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
  readonly via?: 'form' | 'terminal' | 'flag';
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
}

/** What is known before the user is asked. */
export interface Prepared {
  facts: TunnelFacts;
  history: TunnelHistory;
}
