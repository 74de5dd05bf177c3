import { createHash } from 'node:crypto';

/** The fingerprint the server shows for a key, computed independently of the server's code. */
export function fingerprintOf(key: string): string {
  return `sha256:${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}
