// The shape of results, kept free of any Node import so that the panel (a browser bundle) can share it.

/** What a call ended in. */
export type RotationStatus =
  | 'validated'
  | 'confirmation_required'
  | 'declined'
  | 'cancelled'
  | 'generated'
  | 'outcome_unknown';

/** The structured result of generate_ipsec_psk and the panel's calls (snake_case, as MCP results are). */
export interface RotationOutput {
  status: RotationStatus;
  sandbox: boolean;
  account_id: string;
  ipsec_tunnel_id: string;
  tunnel_name?: string;
  last_generated_on?: string;
  psk_file?: string;
  psk_fingerprint?: string;
  psk?: string;
  /** For `confirmation_required`: where the user answers, `app` (the panel) or `token` (the assistant asks). */
  confirm_via?: 'app' | 'token';
  confirmation_token?: string;
  /** The panel's confirmation, by id: it confirms nothing by itself. */
  confirmation_id?: string;
  expires_at?: string;
  /** For the panel: what the audit log knows of earlier rotations of the tunnel (the server's own text). */
  history?: string[];
  rotated?: 'yes' | 'no' | 'unknown';
  messages?: { code: number; message: string }[];
  /** In the panel's result only: whether Reveal key will show the key. */
  reveal_available?: boolean;
}
