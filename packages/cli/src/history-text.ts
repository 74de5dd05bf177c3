import type { TunnelRotationHistory } from '@ipsec-psk/rotation';

// The audit log for a person at a terminal: per tunnel, the key file in force, then each rotation on one line. The
// fields are our own records (ids, times, fingerprints, paths this machine wrote), never API text.

const RESULT_WORDS: Record<string, string> = {
  applied: 'applied',
  not_applied: 'not applied',
  failed: 'failed (nothing changed)',
  unknown: 'OUTCOME UNKNOWN',
  key_lost: 'KEY NOT STORED',
  interrupted: 'INTERRUPTED',
};

function line(rotation: TunnelRotationHistory['rotations'][number]): string {
  const parts = [
    rotation.time,
    rotation.operation === 'set_psks' ? 'set' : 'generate',
    RESULT_WORDS[rotation.result] ?? rotation.result,
  ];
  if (rotation.confirmed_by) parts.push(`confirmed by ${rotation.confirmed_by}`);
  if (rotation.principal) parts.push(`for ${rotation.principal}`);
  if (rotation.restore_of) parts.push('(a previous key put back)');
  if (rotation.delivery) parts.push(`device: ${rotation.delivery.result}`);
  if (rotation.psk_fingerprint) parts.push(rotation.psk_fingerprint);
  return `  ${parts.join('  ')}`;
}

export function historyText(
  report: readonly TunnelRotationHistory[],
  pskDir: string,
  prefix: string,
): string {
  if (report.length === 0) return `${prefix}No rotations recorded in ${pskDir}.`;
  const blocks = report.map((tunnel) => {
    const lines = [`${prefix}Tunnel ${tunnel.ipsec_tunnel_id} (account ${tunnel.account_id})`];
    lines.push(
      tunnel.current_key
        ? `  current key: ${tunnel.current_key.psk_file} (${tunnel.current_key.psk_fingerprint ?? 'no fingerprint'}, since ${tunnel.current_key.since})`
        : '  current key: none stored by a rotation here',
    );
    if (tunnel.interrupted > 0) {
      lines.push(
        `  ${tunnel.interrupted} attempt(s) never recorded an outcome: the key may have been replaced; check the tunnel (ipsec-psk list) before relying on it`,
      );
    }
    lines.push(...tunnel.rotations.map(line));
    return lines.join('\n');
  });
  return blocks.join('\n\n');
}
