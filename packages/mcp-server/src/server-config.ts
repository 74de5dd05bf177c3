import {
  CONFIRM_MODES,
  ConfigError,
  type ConfirmMode,
  flag,
  loadConfig,
  type RotationConfig,
  setting,
} from '@ipsec-psk/rotation';

/** Everything the server needs from its environment, checked: the shared settings and the server's own. */
export interface ServerConfig extends RotationConfig {
  /** How a rotation is confirmed (`IPSEC_PSK_CONFIRM`). */
  confirmMode: ConfirmMode;
  /** Whether the MCP App may show the key to the user, in the View only (`IPSEC_PSK_APP_REVEAL`, default on). */
  appReveal: boolean;
}

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
  return { ...loadConfig(env, options), confirmMode: confirm as ConfirmMode, appReveal };
}
