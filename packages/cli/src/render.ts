import type { TunnelListing } from '@ipsec-psk/rotation';

// What a person reads in the terminal. Every API string here was neutralised by listTunnels (no control, format or
// bidi characters), so it cannot move the cursor or recolour the screen.

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** The listing as a table: id, key age, last generated, name (names last: they vary most in width). */
export function listingTable(listing: TunnelListing, prefix: string): string {
  const header = ['TUNNEL ID', 'KEY AGE', 'LAST GENERATED', 'NAME'];
  const rows = listing.tunnels.map((tunnel) => [
    tunnel.ipsec_tunnel_id,
    tunnel.key_age_days === undefined ? 'unknown' : `${tunnel.key_age_days} d`,
    tunnel.last_generated_on ?? '-',
    tunnel.tunnel_name,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : pad(cell, widths[column] ?? 0)))
      .join('  ');
  const summary = `${prefix}${listing.tunnels.length} of ${listing.total} tunnels in account ${listing.account_id}`;
  return [summary, '', line(header), ...rows.map(line)].join('\n');
}
