import type { TunnelRecord } from './state.js';
import type { SimAttachment } from './types.js';

/** The longest part of an attachment's failure message the simulator repeats to the client. */
const MESSAGE_MAX_LENGTH = 300;

/**
 * An attachment's failure as text a client may see: its message without any of the keys involved (an IKE
 * daemon's error may quote its configuration), control characters or excess length.
 */
export function attachmentFailureText(error: unknown, secrets: readonly string[] = []): string {
  let text = error instanceof Error ? error.message : String(error);
  for (const secret of secrets) if (secret.length > 0) text = text.split(secret).join('[redacted]');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes.
  text = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return text.length > MESSAGE_MAX_LENGTH
    ? `${text.slice(0, MESSAGE_MAX_LENGTH - 1)}…`
    : text || 'no message';
}

/** A key the simulator stored, as it was at that moment (a later request may replace it before anyone is told). */
export interface PskChange {
  /** The tunnel. */
  tunnel: TunnelRecord;
  /** The key stored. */
  psk: string;
}

/**
 * Tells the attachment about each stored key, once per tunnel, in order; every tunnel is told even when an earlier
 * call fails, because every key was stored. Resolves to the failures' text (empty when all went well).
 */
export async function notifyPskChanged(
  attachment: SimAttachment | undefined,
  accountId: string,
  changes: readonly PskChange[],
): Promise<string[]> {
  const failures: string[] = [];
  if (!attachment?.pskChanged) return failures;
  for (const { tunnel, psk } of changes) {
    try {
      await attachment.pskChanged({ accountId, tunnelId: tunnel.id, tunnelName: tunnel.name, psk });
    } catch (error) {
      failures.push(`${tunnel.id}: ${attachmentFailureText(error, [psk])}`);
    }
  }
  return failures;
}
