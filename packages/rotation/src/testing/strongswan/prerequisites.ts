import { join } from 'node:path';
import { CHARON, exists, findIp } from './sweep.js';

/** swanctl, which loads the harness's connections. */
export const SWANCTL = '/usr/sbin/swanctl';
const PLUGIN_DIR = '/usr/lib/ipsec/plugins';
const REQUIRED_PLUGINS = ['vici', 'kernel-libipsec', 'kernel-netlink', 'socket-default', 'openssl'];

/** Whether this machine can run two strongSwan daemons in network namespaces; when not, what is missing. */
export type Prerequisites = { ok: true } | { ok: false; reason: string };

/** Checks for Linux, root, charon-systemd, swanctl, /dev/net/tun, iproute2 and the plugins the harness loads. */
export function strongSwanPrerequisites(): Prerequisites {
  if (process.platform !== 'linux') return { ok: false, reason: 'needs Linux network namespaces' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'needs root for network namespaces' };
  const plugins = REQUIRED_PLUGINS.map((name) => join(PLUGIN_DIR, `libstrongswan-${name}.so`));
  const missing = [CHARON, SWANCTL, '/dev/net/tun', ...plugins].filter((path) => !exists(path));
  if (!findIp()) missing.push('ip (iproute2)');
  if (missing.length > 0) {
    return {
      ok: false,
      reason:
        `missing ${missing.join(', ')} (apt-get install strongswan-swanctl charon-systemd ` +
        'libcharon-extra-plugins iproute2)',
    };
  }
  return { ok: true };
}

/**
 * Whether real-IKE tests must run: under CI (CI set to anything but empty, 0 or false) a missing prerequisite is a
 * failure, never a skip, so a CI image without strongSwan cannot pass silently.
 */
export function realIkeRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== '0' && value !== 'false';
}
