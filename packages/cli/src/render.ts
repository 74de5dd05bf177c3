import type { TunnelHealthOutput, TunnelListing } from '@ipsec-psk/rotation';

// What a person reads in the terminal. Every API string here was neutralised by listTunnels (no control, format or
// bidi characters), so it cannot move the cursor or recolour the screen.

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** Rows under a header, columns padded, the last one (the widest-varying) not. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : pad(cell, widths[column] ?? 0)))
      .join('  ');
  return [line(header), ...rows.map(line)];
}

/** The listing as a table: id, key age, last generated, name (names last: they vary most in width). */
export function listingTable(listing: TunnelListing, prefix: string): string {
  const rows = listing.tunnels.map((tunnel) => [
    tunnel.ipsec_tunnel_id,
    tunnel.key_age_days === undefined ? 'unknown' : `${tunnel.key_age_days} d`,
    tunnel.last_generated_on ?? '-',
    tunnel.tunnel_name,
  ]);
  const summary = `${prefix}${listing.tunnels.length} of ${listing.total} tunnels in account ${listing.account_id}`;
  return [summary, '', ...table(['TUNNEL ID', 'KEY AGE', 'LAST GENERATED', 'NAME'], rows)].join('\n');
}

/** Cloudflare's view of each tunnel: id, state, name, then why, one tunnel per paragraph line. */
export function healthTable(
  report: readonly TunnelHealthOutput[],
  accountId: string,
  prefix: string,
): string {
  const rows = report.map((tunnel) => [
    tunnel.ipsec_tunnel_id,
    tunnel.health.state === 'down' ? 'DOWN' : tunnel.health.state,
    tunnel.tunnel_name ?? '-',
  ]);
  const why = report.map((tunnel) => `${tunnel.ipsec_tunnel_id}: ${tunnel.health.detail}`);
  const summary = `${prefix}Cloudflare's health checks of ${report.length} tunnel(s) in account ${accountId}`;
  return [summary, '', ...table(['TUNNEL ID', 'STATE', 'NAME'], rows), '', ...why].join('\n');
}
