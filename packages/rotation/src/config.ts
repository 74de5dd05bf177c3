import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fromEnv, isPskError, type PskClientOptions } from '@ipsec-psk/core';
import envPaths from 'env-paths';

/** The settings every front end (the command line, the MCP server, a program) shares, checked. */
export interface RotationConfig {
  /** Client options for `@ipsec-psk/core` (credentials, base URL); undefined in sandbox mode. */
  clientOptions: PskClientOptions | undefined;
  /** The account used when a tool call names none. */
  defaultAccountId: string | undefined;
  /** Where new keys are written (0600 files) and the audit log kept. */
  pskDir: string;
  /** Where a key goes when `pskDir` cannot take it after Cloudflare generated it. */
  fallbackDir: string;
  /** Whether results carry the key itself (operator setting `IPSEC_PSK_REVEAL=1`). */
  reveal: boolean;
  /** Whether the server talks to the in-process simulator instead of Cloudflare. */
  sandbox: boolean;
  /**
   * After a key reached its device, how long to wait for Cloudflare to see the tunnel up (`IPSEC_PSK_HEALTH_WAIT`,
   * seconds; default 120; 0: do not check).
   */
  healthWaitMs: number;
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

/** A setting's value; unset and empty are the same. */
export function setting(env: Record<string, string | undefined>, name: string): string | undefined {
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

/** A 0/1 setting; `rule` says what each value means, for the error. */
export function flag(
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

/** The default wait for Cloudflare's health view: its data runs behind by tens of seconds to minutes. */
export const DEFAULT_HEALTH_WAIT_S = 120;
const MAX_HEALTH_WAIT_S = 3600;

/** A whole number of seconds from 0 to `max`. */
function seconds(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  max: number,
): number {
  const value = setting(env, name);
  if (value === undefined) return fallback;
  if (!/^\d{1,5}$/.test(value) || Number(value) > max) {
    throw new ConfigError(name, `${name} must be a whole number of seconds from 0 to ${max}.`);
  }
  return Number(value);
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
  /** `credentials: 'optional'` for commands that never call Cloudflare (reading the audit log). */
  options: { sandbox: boolean; credentials?: 'required' | 'optional' },
): RotationConfig {
  const reveal = flag(env, 'IPSEC_PSK_REVEAL', false, '1 (put the key in results) or 0 (default)');
  // The sandbox's worthless keys, audit lines and simulated tunnels stay in a directory of their own, whatever
  // IPSEC_PSK_DIR says: they never mix with real keys (IPSEC_PSK_SANDBOX_DIR moves it, for tests and demos).
  const pskDir = options.sandbox
    ? absoluteDir(env, 'IPSEC_PSK_SANDBOX_DIR', defaultPskDir(true))
    : absoluteDir(env, 'IPSEC_PSK_DIR', defaultPskDir(false));
  const fallbackDir = options.sandbox
    ? defaultFallbackDir(true)
    : absoluteDir(env, 'IPSEC_PSK_FALLBACK_DIR', defaultFallbackDir(false));

  let clientOptions: PskClientOptions | undefined;
  let defaultAccountId: string | undefined;
  if (!options.sandbox) {
    try {
      clientOptions = fromEnv(env);
      defaultAccountId = clientOptions.accountId;
    } catch (error) {
      if (options.credentials === 'optional') defaultAccountId = setting(env, 'CLOUDFLARE_ACCOUNT_ID');
      else if (isPskError(error) && error.field) throw new ConfigError(error.field, error.message);
      else throw error;
    }
  }
  return {
    clientOptions,
    defaultAccountId,
    pskDir,
    fallbackDir,
    reveal,
    sandbox: options.sandbox,
    healthWaitMs: seconds(env, 'IPSEC_PSK_HEALTH_WAIT', DEFAULT_HEALTH_WAIT_S, MAX_HEALTH_WAIT_S) * 1000,
  };
}
