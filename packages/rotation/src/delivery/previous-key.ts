import { dirname } from 'node:path';
import { Secret } from '@ipsec-psk/core';
import { type AuditRecord, KEY_STORED_EVENTS } from '../store/audit-log.js';
import { describeFsError, type KeyDirectory } from '../store/key-directory.js';
import { fingerprint, type PskStore } from '../store/psk-store.js';
import { recordsOf } from '../store/rotation-history.js';

// The way back after a failed delivery: the key that was in force before the current one, when a rotation on
// this machine stored it. The audit log says which file held it; the file must still be there and hold that key.

/** A key this machine stored for a tunnel, as the audit log recorded it. */
export interface HeldKey {
  file: string;
  fingerprint: string;
  /** When it was put in force (the audit line's time). */
  time: string;
}

/**
 * The key in force before the tunnel's current one: of the keys the audit log shows stored and put in force here
 * (`generated`, `psk_set`), the newest whose fingerprint differs from the newest's. Undefined when none was.
 */
export function previousKeyRecord(
  records: readonly AuditRecord[],
  accountId: string,
  tunnelId: string,
): HeldKey | undefined {
  const stored = recordsOf(records, accountId, tunnelId).filter(
    (record) => KEY_STORED_EVENTS.includes(record.event) && record.psk_file && record.psk_fingerprint,
  );
  const current = stored.at(-1);
  for (let index = stored.length - 2; index >= 0; index--) {
    const record = stored[index];
    if (record && record.psk_fingerprint !== current?.psk_fingerprint) {
      return { file: record.psk_file ?? '', fingerprint: record.psk_fingerprint ?? '', time: record.time };
    }
  }
  return undefined;
}

/** Which of the store's directories holds the file, checked, or undefined when neither does. */
async function owningDirectory(
  store: PskStore,
  file: string,
  accountId: string,
  tunnelId: string,
): Promise<KeyDirectory | undefined> {
  for (const directory of [store.directory, store.fallback]) {
    if (!directory) continue;
    const dir = await directory.ensure(accountId, tunnelId).catch(() => undefined);
    if (dir !== undefined && dirname(file) === dir) return directory;
  }
  return undefined;
}

/**
 * Reads a held key back: the file must be a `.psk` file in the tunnel's key directory (or the fallback's), read
 * without following a symlink, and hold the key the audit log named. Otherwise the reason it cannot be used.
 */
export async function readHeldKey(
  store: PskStore,
  held: HeldKey,
  accountId: string,
  tunnelId: string,
): Promise<Secret | { reason: string }> {
  if (!held.file.endsWith('.psk')) return { reason: `${held.file} is not a key file` };
  const directory = await owningDirectory(store, held.file, accountId, tunnelId);
  if (!directory) return { reason: `${held.file} is not in this tunnel's key directory` };
  let text: string | undefined;
  try {
    text = await directory.readFile(held.file);
  } catch (error) {
    return { reason: `${held.file} cannot be read (${describeFsError(error)})` };
  }
  if (text === undefined) return { reason: `${held.file} no longer exists` };
  const key = new Secret(text);
  if (fingerprint(key) !== held.fingerprint) {
    return { reason: `${held.file} no longer holds the key the audit log recorded (${held.fingerprint})` };
  }
  return key;
}

/** The tunnel's previous key if this machine holds it (recorded, and its file intact), else why not. */
export async function heldPreviousKey(
  store: PskStore,
  records: readonly AuditRecord[] | undefined,
  accountId: string,
  tunnelId: string,
): Promise<{ held: HeldKey; key: Secret } | { reason: string }> {
  if (!records) return { reason: 'the audit log cannot be read' };
  const held = previousKeyRecord(records, accountId, tunnelId);
  if (!held) return { reason: 'no earlier key of this tunnel was stored by a rotation on this machine' };
  const key = await readHeldKey(store, held, accountId, tunnelId);
  return key instanceof Secret ? { held, key } : key;
}
