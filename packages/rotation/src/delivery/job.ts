import type { Secret } from '@ipsec-psk/core';
import type { TunnelDetailsForDelivery } from './tunnel-details.js';

/** One stored key on its way to its tunnel's device. */
export interface DeliveryJob {
  accountId: string;
  tunnelId: string;
  /** The tunnel's name as Cloudflare sent it (untrusted); neutralised wherever it is used. */
  tunnelName: string | undefined;
  key: Secret;
  fingerprint: string;
  /** The key's file: it was stored before delivery began. */
  keyFile: string;
  /** What Cloudflare reported of the tunnel (read before the question); fetched again when absent. */
  details: TunnelDetailsForDelivery | undefined;
  /** Set PSKs' `ipsec_id` for the tunnel, when the key was set with it. */
  ipsecId: string | undefined;
  /** How the key was put in force at Cloudflare. */
  operation: 'psk_generate' | 'set_psks';
  /** For a restore: the file of the earlier key being put back. */
  restoreOf?: string | undefined;
}

/** What one target made of a job. */
export interface TargetOutcome {
  result: 'delivered' | 'failed';
  /** What happened, in our words (a program's output neutralised); never a key. */
  detail: string;
  /** A short code for the audit line of a failure (`timeout`, `vici_connect`, `exit_status` …). */
  code?: string | undefined;
  /** For a strongSwan target: whether the IKE SA came up. */
  ikeUp?: boolean | undefined;
  /** For a config target: the file written. */
  configFile?: string | undefined;
}

/** A failed outcome. */
export function failed(code: string, detail: string, extra: Partial<TargetOutcome> = {}): TargetOutcome {
  return { result: 'failed', code, detail, ...extra };
}

/** Text with every form of the key a program or daemon might print (as is, hex, base64) replaced. */
export function scrubKey(text: string, key: Secret): string {
  const bytes = Buffer.from(key.reveal(), 'utf8');
  let out = text;
  for (const form of [key.reveal(), bytes.toString('hex'), bytes.toString('base64')]) {
    if (form.length > 0) out = out.split(form).join('[redacted]');
  }
  return out;
}
