import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fromEnv, isPskError, type PskClientOptions } from '@ipsec-psk/core';
import envPaths from 'env-paths';

/**
 * How a real rotation is confirmed by the user. `auto`: a form if the client can show one, else the MCP App, else
 * the two-step token; `human`: a form or the App, never the token (which the model relays); `elicit`: a form only;
 * `app`: the App only; `token`: the two-step token only.
 */
export type ConfirmMode = 'auto' | 'human' | 'elicit' | 'app' | 'token';

/** Everything the server needs from its environment, checked. */
export interface ServerConfig {
  /** Client options for `@ipsec-psk/core` (credentials, base URL); undefined in sandbox mode. */
  clientOptions: PskClientOptions | undefined;
  /** The account used when a tool call names none. */
  defaultAccountId: string | undefined;
  /** Where new keys are written (0600 files) and the audit log kept. */
  pskDir: string;
  /** Where a key goes when `pskDir` cannot take it after Cloudflare generated it. */
  fallbackDir: string;
  /** How a rotation is confirmed (`IPSEC_PSK_CONFIRM`). */
  confirmMode: ConfirmMode;
  /** Whether results carry the key itself (operator setting `IPSEC_PSK_REVEAL=1`). */
  reveal: boolean;
  /** Whether the MCP App may show the key to the user, in the View only (`IPSEC_PSK_APP_REVEAL`, default on). */
  appReveal: boolean;
  /** Whether the server talks to the in-process simulator instead of Cloudflare. */
  sandbox: boolean;
}

/** A setting that stops start-up; `message` is one line naming the setting and what to do, never its value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(message);
  }
}

const CONFIRM_MODES: readonly ConfirmMode[] = ['auto', 'human', 'elicit', 'app', 'token'];

function setting(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** The default key directory: the per-user data directory (e.g. ~/.local/share/ipsec-psk on Linux). */
export function defaultPskDir(sandbox: boolean): string {
  const base = envPaths('ipsec-psk', { suffix: '' });
  // Sandbox keys are worthless; keeping them apart means nobody mistakes one for a real key.
  return sandbox ? `${base.data}/sandbox` : base.data;
}

/**
 * The default fallback for keys `pskDir` cannot take: a private directory in the system's temporary directory,
 * which is often another file system (so a full or failing data disk does not take both). It may not survive a
 * reboot: a key that lands there must be moved.
 */
export function defaultFallbackDir(sandbox: boolean): string {
  const dir = join(tmpdir(), `ipsec-psk-recovered-${process.getuid?.() ?? 'user'}`);
  return sandbox ? join(dir, 'sandbox') : dir;
}

function flag(
  env: Record<string, string | undefined>,
  name: string,
  fallback: boolean,
  rule: string,
): boolean {
  const value = setting(env, name);
  if (value === undefined) return fallback;
  if (value !== '0' && value !== '1') throw new ConfigError(name, `${name} must be ${rule}.`);
  return value === '1';
}

function absoluteDir(env: Record<string, string | undefined>, name: string, fallback: string): string {
  const value = setting(env, name) ?? fallback;
  // MCP clients start servers from unpredictable working directories; a relative path would scatter keys.
  if (!isAbsolute(value)) throw new ConfigError(name, `${name} must be an absolute path.`);
  return value;
}

/** Reads and checks the environment. Throws `ConfigError` naming the first bad setting. */
export function loadConfig(
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
  const reveal = flag(env, 'IPSEC_PSK_REVEAL', false, '1 (put the key in results) or 0 (default)');
  const appReveal = flag(
    env,
    'IPSEC_PSK_APP_REVEAL',
    true,
    '1 (default: the App may show the key to the user) or 0',
  );
  const pskDir = absoluteDir(env, 'IPSEC_PSK_DIR', defaultPskDir(options.sandbox));
  const fallbackDir = absoluteDir(env, 'IPSEC_PSK_FALLBACK_DIR', defaultFallbackDir(options.sandbox));

  let clientOptions: PskClientOptions | undefined;
  let defaultAccountId: string | undefined;
  if (!options.sandbox) {
    try {
      clientOptions = fromEnv(env);
    } catch (error) {
      if (isPskError(error) && error.field) throw new ConfigError(error.field, error.message);
      throw error;
    }
    defaultAccountId = clientOptions.accountId;
  }
  return {
    clientOptions,
    defaultAccountId,
    pskDir,
    fallbackDir,
    confirmMode: confirm as ConfirmMode,
    reveal,
    appReveal,
    sandbox: options.sandbox,
  };
}
