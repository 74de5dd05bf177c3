import {
  CONFIRM_MODES,
  ConfigError,
  type ConfirmMode,
  type DeliveryConfig,
  flag,
  type HealthWaitOptions,
  loadConfig,
  loadDeliveryConfig,
  type RotationConfig,
  setting,
} from '@ipsec-psk/rotation';

/** Everything the server needs from its environment, checked: the shared settings and the server's own. */
export interface ServerConfig extends RotationConfig {
  /** How a rotation is confirmed (`IPSEC_PSK_CONFIRM`). */
  confirmMode: ConfirmMode;
  /** Whether the MCP App may show the key to the user, in the View only (`IPSEC_PSK_APP_REVEAL`, default on). */
  appReveal: boolean;
  /** Where stored keys are delivered (`IPSEC_PSK_DELIVERY`); none: nowhere. */
  delivery: DeliveryConfig | undefined;
  /** The wait for Cloudflare's health view after a delivery, capped so a call ends inside a client's timeout. */
  health: HealthWaitOptions | undefined;
}

/**
 * The longest health wait inside a tool call: clients time a call out after 60 s unless it sends progress, and
 * the rotation and delivery come first. check_ipsec_tunnel_health asks again later.
 */
export const MCP_HEALTH_WAIT_MAX_MS = 40_000;

/** Reads and checks the environment. Throws `ConfigError` naming the first bad setting. */
export function loadServerConfig(
  env: Record<string, string | undefined>,
  options: { sandbox: boolean },
): ServerConfig {
  const confirm = setting(env, 'IPSEC_PSK_CONFIRM') ?? 'auto';
  if (!CONFIRM_MODES.includes(confirm as ConfirmMode)) {
    throw new ConfigError(
      'IPSEC_PSK_CONFIRM',
      `IPSEC_PSK_CONFIRM must be one of ${CONFIRM_MODES.join(', ')}.`,
    );
  }
  const appReveal = flag(
    env,
    'IPSEC_PSK_APP_REVEAL',
    true,
    '1 (default: the App may show the key to the user) or 0',
  );
  const shared = loadConfig(env, options);
  const waitMs = Math.min(shared.healthWaitMs, MCP_HEALTH_WAIT_MAX_MS);
  return {
    ...shared,
    confirmMode: confirm as ConfirmMode,
    appReveal,
    // A sandbox's keys are worthless: they never go to a device.
    delivery: options.sandbox ? undefined : loadDeliveryConfig(env),
    health: waitMs > 0 ? { waitMs } : undefined,
  };
}
