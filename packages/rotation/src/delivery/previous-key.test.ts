import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret } from '@ipsec-psk/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../store/audit-log.js';
import { KeyDirectory } from '../store/key-directory.js';
import { fingerprint, PskStore } from '../store/psk-store.js';
import { heldPreviousKey, previousKeyRecord } from './previous-key.js';

// The way back's first question: which key was in force before the current one, and does this machine still hold
// it, unchanged, where the audit log says.

const ACCOUNT = 'a'.repeat(32);
const TUNNEL = 'b'.repeat(32);
let dir: string;
let store: PskStore;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipsec-psk-previous-'));
  store = new PskStore(new KeyDirectory(dir), undefined);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function stored(
  event: 'generated' | 'psk_set',
  file: string,
  key: string,
  time: string,
  tunnel = TUNNEL,
): AuditRecord {
  return {
    time,
    event,
    account_id: ACCOUNT,
    ipsec_tunnel_id: tunnel,
    sandbox: false,
    psk_file: file,
    psk_fingerprint: fingerprint(new Secret(key)),
  };
}

describe('the previous key', () => {
  it('is the newest stored key whose fingerprint differs from the current one’s', () => {
    const records = [
      stored('generated', '/k/1.psk', 'one', '2026-01-01T00:00:00Z'),
      stored('psk_set', '/k/2.psk', 'two', '2026-02-01T00:00:00Z'),
      stored('psk_set', '/k/x.psk', 'other tunnel', '2026-02-15T00:00:00Z', 'c'.repeat(32)),
      // A restore of "two" leaves the same key in force twice: the one before it is still "three".
      stored('psk_set', '/k/3.psk', 'three', '2026-03-01T00:00:00Z'),
      stored('psk_set', '/k/4.psk', 'two', '2026-03-02T00:00:00Z'),
      stored('psk_set', '/k/5.psk', 'two', '2026-03-03T00:00:00Z'),
    ];
    expect(previousKeyRecord(records, ACCOUNT, TUNNEL)).toEqual({
      file: '/k/3.psk',
      fingerprint: fingerprint(new Secret('three')),
      time: '2026-03-01T00:00:00Z',
    });
    expect(previousKeyRecord(records.slice(0, 1), ACCOUNT, TUNNEL)).toBeUndefined();
    expect(previousKeyRecord([], ACCOUNT, TUNNEL)).toBeUndefined();
  });

  it('is read back only from its own file, in the tunnel’s directory, holding the recorded key', async () => {
    const file = await store.write(ACCOUNT, TUNNEL, new Secret('previousKey0123456789abcdefghijk'));
    const current = await store.write(ACCOUNT, TUNNEL, new Secret('currentKey0123456789abcdefghijkl'));
    const records = [
      stored('psk_set', file, 'previousKey0123456789abcdefghijk', '2026-01-01T00:00:00Z'),
      stored('psk_set', current, 'currentKey0123456789abcdefghijkl', '2026-01-02T00:00:00Z'),
    ];
    const held = await heldPreviousKey(store, records, ACCOUNT, TUNNEL);
    expect('key' in held && held.key.reveal()).toBe('previousKey0123456789abcdefghijk');

    await writeFile(file, 'somethingElse');
    expect(await heldPreviousKey(store, records, ACCOUNT, TUNNEL)).toEqual({
      reason: `${file} no longer holds the key the audit log recorded (${records[0]?.psk_fingerprint})`,
    });
    await rm(file);
    expect(await heldPreviousKey(store, records, ACCOUNT, TUNNEL)).toEqual({
      reason: `${file} no longer exists`,
    });

    const elsewhere = [
      { ...records[0], psk_file: '/etc/passwd.psk' } as AuditRecord,
      records[1] as AuditRecord,
    ];
    expect(await heldPreviousKey(store, elsewhere, ACCOUNT, TUNNEL)).toEqual({
      reason: "/etc/passwd.psk is not in this tunnel's key directory",
    });
    expect(await heldPreviousKey(store, undefined, ACCOUNT, TUNNEL)).toEqual({
      reason: 'the audit log cannot be read',
    });
  });
});
