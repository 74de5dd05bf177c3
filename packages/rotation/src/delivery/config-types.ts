// The operator's delivery configuration (IPSEC_PSK_DELIVERY), as checked by loadDeliveryConfig: where each
// tunnel's new key goes once it is stored. Types only, so every delivery module can share them without a cycle.

/** The device platforms configuration text is written for. */
export const CONFIG_PLATFORMS = ['strongswan', 'vyos', 'fortios', 'ios-xe', 'junos', 'panos'] as const;

/** A device platform configuration text is written for. */
export type ConfigPlatform = (typeof CONFIG_PLATFORMS)[number];

/** An IKE identity, typed: devices name the type separately from the value. */
export interface IkeIdentity {
  type: 'fqdn' | 'keyid' | 'ipv4' | 'ipv6';
  value: string;
}

/** Load the key into a running charon through its VICI socket, then bring the tunnel's IKE SA up again. */
export interface StrongswanTarget {
  kind: 'strongswan';
  /** How results name it; default `strongswan:<connection>`. */
  label: string;
  /** The VICI socket's path (from `unix:///…`). */
  socketPath: string;
  /** The IKE connection (swanctl.conf `connections.<name>`) to terminate and re-initiate. */
  connection: string;
  /** The CHILD_SA to initiate; default the connection's name. */
  child: string;
  /** The identities the key is for; default derived from the tunnel (see `localIdentity`). */
  localId?: IkeIdentity | undefined;
  remoteId?: IkeIdentity | undefined;
  /** The stable VICI id the key is loaded under, replacing the previous one; default `ipsec-psk-<tunnel id>`. */
  keyId?: string | undefined;
  /** The whole delivery's bound: load, terminate, initiate, check. */
  timeoutMs: number;
}

/** Run a program of the operator's with the key on stdin. */
export interface CommandTarget {
  kind: 'command';
  /** How results name it; default `command:<program's file name>`. */
  label: string;
  /** The program (absolute path) and its arguments; no shell, and never the key. */
  argv: string[];
  /** After this long the program's process group is killed. */
  timeoutMs: number;
}

/** Write configuration text for the device beside the key file, for a person to apply. */
export interface ConfigTarget {
  kind: 'config';
  /** How results name it; default `config:<platform>`. */
  label: string;
  platform: ConfigPlatform;
  /** The device's IKE identity; default derived from the tunnel. */
  localId?: IkeIdentity | undefined;
  /** The device's WAN interface, for platforms that name it; default a placeholder. */
  wanInterface?: string | undefined;
}

/** Where one tunnel's key goes. */
export type DeliveryTarget = StrongswanTarget | CommandTarget | ConfigTarget;

/** Which tunnels a rule is for: exactly one tunnel id, or tunnel names matching a pattern (`*`, `?`). */
export type TunnelMatch = { tunnelId: string } | { namePattern: string };

/** One rule of the delivery file: the first that matches a tunnel decides its target. */
export interface DeliveryRule {
  match: TunnelMatch;
  target: DeliveryTarget;
}

/** The checked delivery configuration. */
export interface DeliveryConfig {
  /** The file it came from (for messages). */
  source: string;
  rules: DeliveryRule[];
  /** The target of tunnels no rule matches; none means they are skipped. */
  defaultTarget?: DeliveryTarget | undefined;
  /** Also write this platform's configuration text when a tunnel's delivery fails or is skipped. */
  manualConfig?: ConfigPlatform | undefined;
}
