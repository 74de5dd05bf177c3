// The results every front end shows, defined once (snake_case, as MCP tool results and `--json` output are). Free
// of Node imports, so a browser bundle (the MCP App panel) can import these types.

/** Whether checking back showed the key was replaced. */
export type Rotated = 'yes' | 'no' | 'unknown';

/** What a one-tunnel call ended in. */
export type RotationStatus =
  | 'validated'
  | 'confirmation_required'
  | 'declined'
  | 'cancelled'
  | 'generated'
  | 'outcome_unknown';

/** How a confirmation_required result says who answers: the panel shown with it (app), or the model asks (token). */
export type ConfirmVia = 'app' | 'token';

/** The fields of a confirmation_required result, shared by the one-tunnel and the fleet result. */
export type ConfirmationFields = {
  /** Who answers, and how. */
  confirm_via?: ConfirmVia | undefined;
  /** Pass back after the user agreed (two-step flow). */
  confirmation_token?: string | undefined;
  /** The panel's confirmation; it confirms nothing by itself. */
  confirmation_id?: string | undefined;
  /** When the confirmation expires (ISO 8601). */
  expires_at?: string | undefined;
};

/** The call that sets a key made and stored here, after an unknown outcome may have lost one. */
export type Recovery = {
  tool: 'rotate_ipsec_psks';
  arguments: { account_id: string; ipsec_tunnel_ids: string[] };
};

/** What became of delivering a new key to its customer device. */
export type DeliveryResult = 'delivered' | 'failed' | 'skipped';

/**
 * Delivery of one tunnel's new key to the target the operator configured for it (IPSEC_PSK_DELIVERY). Never holds
 * a key: a configuration text that does is a 0600 file, named here.
 */
export type DeliveryOutput = {
  /** The target as the delivery file names it (e.g. "strongswan:cf-tun1"); "none" when no target matched. */
  target: string;
  /** The target's kind: a strongSwan or command target reaches the device; a config target writes text for it. */
  kind?: 'strongswan' | 'command' | 'config' | undefined;
  result: DeliveryResult;
  /** What was done, or why it failed or was skipped (our words; a program's output neutralised). */
  detail?: string | undefined;
  /** Configuration text for the device (mode 0600, beside the key): a config target's, or the manual_config. */
  config_file?: string | undefined;
  /** For a strongSwan target: whether the IKE SA came up with the new key. */
  ike_up?: boolean | undefined;
  /** For failed: whether this machine holds the key in force before this one (restore puts it back). */
  previous_key_held?: boolean | undefined;
  /** Where that previous key is stored. */
  previous_key_file?: string | undefined;
  previous_key_fingerprint?: string | undefined;
};

/**
 * Whether Cloudflare sees the tunnel up again after its device got the new key (its health checks, read with a
 * bounded wait). `unknown` is never "down": Cloudflare's data runs behind, and the detail says how to ask again.
 */
export type HealthOutput = {
  state: 'up' | 'down' | 'unknown';
  /** Why, for a person: how many data centres saw it up, or why there is no verdict. */
  detail: string;
  /** When this was decided (ISO 8601). */
  checked_at: string;
  /** How many of Cloudflare's data centres reported. */
  colos?: number | undefined;
};

/** The result of one tunnel's rotation (or validation, or question). */
export type RotationOutput = ConfirmationFields & {
  status: RotationStatus;
  /** True against the local simulator: nothing real changed. */
  sandbox: boolean;
  account_id: string;
  ipsec_tunnel_id: string;
  /** The tunnel's name as Cloudflare reports it, neutralised. */
  tunnel_name?: string | undefined;
  /** When the tunnel key was last generated (ISO 8601). */
  last_generated_on?: string | undefined;
  /** Where the new key was stored (mode 0600). */
  psk_file?: string | undefined;
  /** A short SHA-256 fingerprint of the new key. */
  psk_fingerprint?: string | undefined;
  /** The key itself; only when the operator set IPSEC_PSK_REVEAL=1. */
  psk?: string | undefined;
  /** Earlier rotations of this tunnel, from the audit log. */
  history?: string[] | undefined;
  /** For outcome_unknown: whether checking back showed the key was replaced. */
  rotated?: Rotated | undefined;
  /** For outcome_unknown when the key may be lost: the way back. */
  recovery?: Recovery | undefined;
  /** Cloudflare's messages. */
  messages?: { code: number; message: string }[] | undefined;
  /** In the panel's answer only: whether Reveal key will work. */
  reveal_available?: boolean | undefined;
  /** For generated, when the operator configured delivery: what became of delivering the key to the device. */
  delivery?: DeliveryOutput | undefined;
  /** After a delivery to the device: whether Cloudflare sees the tunnel up again. */
  health?: HealthOutput | undefined;
};

/** What happened to one tunnel's new key in a fleet rotation. */
export type TunnelResult = 'applied' | 'not_applied' | 'unknown' | 'not_sent';

/** One tunnel of a fleet result. */
export type FleetTunnel = {
  ipsec_tunnel_id: string;
  tunnel_name?: string | undefined;
  last_generated_on?: string | undefined;
  result?: TunnelResult | undefined;
  /** Where the new key is stored (0600); for not_applied and not_sent, the file is marked so. */
  psk_file?: string | undefined;
  psk_fingerprint?: string | undefined;
  /** Only when the operator set IPSEC_PSK_REVEAL=1. */
  psk?: string | undefined;
  /** Why not applied or not sent (Cloudflare's words, neutralised). */
  reason?: string | undefined;
  /** For unknown: whether checking back showed the key changed after sending. */
  rotated?: Rotated | undefined;
  /** When the operator configured delivery: what became of delivering this tunnel's key to its device. */
  delivery?: DeliveryOutput | undefined;
  /** After a delivery to the device: whether Cloudflare sees the tunnel up again. */
  health?: HealthOutput | undefined;
};

/** What a fleet call ended in. completed: every tunnel has a known result; outcome_unknown: some do not. */
export type FleetStatus =
  | 'validated'
  | 'confirmation_required'
  | 'declined'
  | 'cancelled'
  | 'completed'
  | 'outcome_unknown';

/** The result of a fleet rotation (rotate_ipsec_psks, `ipsec-psk rotate`). */
export type FleetOutput = ConfirmationFields & {
  status: FleetStatus;
  sandbox: boolean;
  account_id: string;
  /** One entry per tunnel, in the order asked. */
  tunnels: FleetTunnel[];
  applied?: number | undefined;
  not_applied?: number | undefined;
  unknown?: number | undefined;
  not_sent?: number | undefined;
  /** For confirm_via app: earlier rotations of these tunnels, for the panel. */
  history?: string[] | undefined;
};
