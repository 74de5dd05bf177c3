import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fromEnv, isPskError, type PskClientOptions } from '@ipsec-psk/core';
import envPaths from 'env-paths';

/** How a real rotation is confirmed by the user. */
export type ConfirmMode = 'auto' | 'elicit' | 'token';

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
  /** `auto`: ask by form elicitation when the client can, else two-step token; `elicit`: form only; `token`: two-step only. */
  confirmMode: ConfirmMode;
  /** Whether results carry the key itself (operator setting `IPSEC_PSK_REVEAL=1`). */
  reveal: boolean;
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

const CONFIRM_MODES: readonly ConfirmMode[] = ['auto', 'elicit', 'token'];

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
    throw new ConfigError('IPSEC_PSK_CONFIRM', 'IPSEC_PSK_CONFIRM must be one of auto, elicit, token.');
  }
  const reveal = setting(env, 'IPSEC_PSK_REVEAL') ?? '0';
  if (reveal !== '0' && reveal !== '1') {
    throw new ConfigError(
      'IPSEC_PSK_REVEAL',
      'IPSEC_PSK_REVEAL must be 1 (put the key in results) or 0 (default).',
    );
  }
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
    reveal: reveal === '1',
    sandbox: options.sandbox,
  };
}
