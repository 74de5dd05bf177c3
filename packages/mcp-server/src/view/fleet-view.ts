// The panel for a bulk rotation (rotate_ipsec_psks): the account, how many tunnels, a scrollable table of them
// (name, id, key age) and one Rotate button for all; after the answer, one row per tunnel with its result and key
// file. Names come from the API (neutralised by the server) and are written as text only. No key is ever shown here.
import type { FleetOutput, FleetTunnel, TunnelResult } from '@ipsec-psk/rotation';
import { keyAge, plural } from './age.js';
import { deliveryLine, healthLine, isBack } from './device-view.js';
import { $, element, lead, message, setText, show } from './dom.js';
import { pathView, shortDirectory } from './path-view.js';

/** Whether a tool result is rotate_ipsec_psks's (several tunnels) rather than generate_ipsec_psk's. */
export function isFleet(output: unknown): output is FleetOutput {
  return Array.isArray((output as { tunnels?: unknown } | undefined)?.tunnels);
}

function header(...titles: string[]): HTMLTableRowElement {
  const row = element('tr');
  for (const title of titles) {
    const cell = element('th', title);
    cell.scope = 'col';
    row.append(cell);
  }
  return row;
}

function cell(...lines: (HTMLElement | string)[]): HTMLTableCellElement {
  const node = element('td');
  node.append(...lines.map((line) => (typeof line === 'string' ? element('span', line, 'line') : line)));
  return node;
}

/** The tunnel's name (or "unknown") over its id. */
function tunnelCell(tunnel: FleetTunnel, withId: boolean): HTMLTableCellElement {
  const name = tunnel.tunnel_name
    ? element('span', tunnel.tunnel_name, 'line name')
    : element('span', 'name unknown', 'line soft');
  return withId ? cell(name, element('code', tunnel.ipsec_tunnel_id, 'line soft id')) : cell(name);
}

function table(caption: string, head: HTMLTableRowElement, rows: HTMLTableRowElement[]): void {
  setText('fleet-caption', caption);
  $('fleet-head').replaceChildren(head);
  $('fleet-rows').replaceChildren(...rows);
  $('fleet-scroll').scrollTop = 0;
  show('fleet-list');
}

/** The account, the count and the sandbox badge: shown for every bulk result. */
function renderFacts(output: FleetOutput, count = plural(output.tunnels.length, 'tunnel')): void {
  show('sandbox', output.sandbox);
  show('facts', false);
  setText('fleet-account', output.account_id);
  setText('fleet-count', count);
  show('fleet-facts');
}

/** The tunnels as the user is asked about them (or as validated): name, id, key age. */
export function renderFleetTunnels(output: FleetOutput): void {
  renderFacts(output);
  const now = Date.now();
  table(
    'Tunnels whose keys are rotated',
    header('Name', 'Tunnel id', 'Key age'),
    output.tunnels.map((tunnel) => {
      const row = element('tr');
      const { age, since } = keyAge(tunnel.last_generated_on, now);
      row.append(
        tunnelCell(tunnel, false),
        cell(element('code', tunnel.ipsec_tunnel_id, 'line')),
        cell(element('span', age, 'inline'), element('span', since, 'inline soft small')),
      );
      return row;
    }),
  );
}

/** The question: every tunnel, the consequence, the earlier rotations, and one button for all of them. */
export function renderFleetQuestion(output: FleetOutput): void {
  const count = output.tunnels.length;
  renderFleetTunnels(output);
  lead(`Rotate the pre-shared keys of ${count === 1 ? 'this tunnel' : `these ${count} tunnels`}?`);
  setText(
    'warning',
    count === 1
      ? 'The current key stops working at once: the tunnel stays down until its new key is configured on its ' +
          'customer device.'
      : 'Each current key stops working at once: each tunnel stays down until its new key is configured on its ' +
          'customer device. The new keys are made and stored on the server before any is sent.',
  );
  setText('rotate', `Rotate ${plural(count, 'key')} now`);
}

const RESULT: Record<TunnelResult, { label: string; tone: string }> = {
  applied: { label: 'Applied', tone: 'success' },
  not_applied: { label: 'Not applied', tone: 'danger-notice' },
  not_sent: { label: 'Not sent', tone: 'plain' },
  unknown: { label: 'Unknown', tone: 'warning' },
};

const ROTATED = {
  yes: 'Checking back: the key changed, most likely to the stored one.',
  no: 'Checking back: the key did not change; the old key most likely still works.',
  unknown: 'Either the old key or the stored one is in force.',
} as const;

/**
 * The directory every key file is under, as `<directory>/<tunnel id>/<file>`, when they all are (the key directory
 * and the account): the table then shows each file's name, and the directory once. Otherwise undefined: full paths.
 */
function keyDirectory(tunnels: readonly FleetTunnel[]): { path: string; separator: string } | undefined {
  let found: { path: string; separator: string } | undefined;
  for (const { psk_file: file, ipsec_tunnel_id: id } of tunnels) {
    if (!file) continue;
    const separator = file.includes('\\') && !file.includes('/') ? '\\' : '/';
    const at = file.lastIndexOf(`${separator}${id}${separator}`);
    const name = file.slice(at + id.length + 2);
    if (at <= 0 || name.includes(separator)) return undefined;
    const path = file.slice(0, at);
    if (found && found.path !== path) return undefined;
    found = { path, separator };
  }
  return found;
}

function fileLine(file: string, directory: string | undefined): HTMLElement {
  const shown = directory === undefined ? file : file.slice(directory.length + 1);
  const node = element('code', shown, 'line file');
  // The whole path, for a tooltip and for tests; the text shows it after the directory named above the table.
  node.title = file;
  node.dataset.path = file;
  return node;
}

function details(tunnel: FleetTunnel, directory: string | undefined): (HTMLElement | string)[] {
  const lines: (HTMLElement | string)[] = [];
  if (tunnel.result === 'not_applied') {
    lines.push(`Cloudflare: ${tunnel.reason ?? 'no reason given'}`, 'The old key still works.');
  } else if (tunnel.result === 'not_sent') {
    lines.push('The old key still works.');
  } else if (tunnel.result === 'unknown') {
    lines.push(ROTATED[tunnel.rotated ?? 'unknown']);
  }
  if (tunnel.psk_file) lines.push(fileLine(tunnel.psk_file, directory));
  if (tunnel.result === 'applied' && tunnel.psk_fingerprint) {
    lines.push(element('span', tunnel.psk_fingerprint, 'line soft small'));
  }
  if (tunnel.delivery) lines.push(element('span', deliveryLine(tunnel.delivery), 'line'));
  if (tunnel.health) lines.push(element('span', healthLine(tunnel.health), 'line'));
  return lines;
}

/** One row per tunnel: its result and its key file; a headline and a notice with what to do next. */
export function renderFleetResults(output: FleetOutput): void {
  const total = output.tunnels.length;
  const count = (result: TunnelResult) => output.tunnels.filter((t) => t.result === result).length;
  const [applied, refused, unsent, unknown] = [
    count('applied'),
    count('not_applied'),
    count('not_sent'),
    count('unknown'),
  ];
  const parts = [
    `${applied} applied`,
    ...(refused ? [`${refused} not applied`] : []),
    ...(unsent ? [`${unsent} not sent`] : []),
    ...(unknown ? [`${unknown} unknown`] : []),
  ];
  renderFacts(output, `${plural(total, 'tunnel')}: ${parts.join(', ')}`);
  const directory = keyDirectory(output.tunnels);
  const hasFiles = output.tunnels.some((tunnel) => tunnel.psk_file);
  $('fleet-files').replaceChildren(
    directory
      ? pathView(
          directory.path,
          `${shortDirectory(directory.path)}${directory.separator}‹tunnel id›${directory.separator}`,
        )
      : 'as listed per tunnel',
  );
  show('fleet-files-term', hasFiles);
  show('fleet-files', hasFiles);
  table(
    'Result per tunnel',
    header('Tunnel', 'Result', 'Key file'),
    output.tunnels.map((tunnel) => {
      const row = element('tr');
      const result = RESULT[tunnel.result ?? 'unknown'];
      row.append(
        tunnelCell(tunnel, true),
        cell(element('span', result.label, `pill ${result.tone}`)),
        cell(
          ...details(tunnel, directory && `${directory.path}${directory.separator}${tunnel.ipsec_tunnel_id}`),
        ),
      );
      return row;
    }),
  );

  const all = applied === total;
  if (all) lead(total === 1 ? 'The new key is set and stored' : `All ${total} new keys are set and stored`);
  else if (unknown) lead(`Rotated ${applied} of ${plural(total, 'key')}; ${unknown} with an unknown outcome`);
  else lead(`Rotated ${applied} of ${plural(total, 'key')}`);

  const notes: string[] = [];
  const back = output.tunnels.filter((t) => isBack(t.delivery, t.health)).length;
  const failed = output.tunnels.filter((t) => t.delivery?.result === 'failed').length;
  if (back)
    notes.push(
      `${back} of ${applied} devices took their new keys and Cloudflare sees those tunnels up again.`,
    );
  if (failed) {
    notes.push(
      `Delivery FAILED for ${plural(failed, 'tunnel')}: down until the device has the key (where this machine holds ` +
        'the previous key, your assistant can put it back with restore_ipsec_psk).',
    );
  }
  const delivering = output.tunnels.some((t) => t.delivery);
  if (applied > back + failed) {
    notes.push(
      delivering
        ? 'Any other applied tunnel is down until its device has the new key (delivered but not yet seen up, or ' +
            'to configure by hand).'
        : 'The old key of each applied tunnel no longer works: configure its new key on its customer device; the ' +
            'tunnel stays down until then.',
    );
  }
  if (refused || unsent) notes.push('Tunnels not applied or not sent keep their old keys, which still work.');
  if (unknown) {
    notes.push(
      'A tunnel with an unknown outcome uses either its old key or the stored new one; nothing is lost. Check it in ' +
        'the Cloudflare dashboard, or rotate it again.',
    );
  }
  notes.push('The keys are not shown here: each is in its file (mode 0600) on the server machine.');
  // Green only when every tunnel is known to be up again: a stored key on a tunnel that stays down is not done.
  const settled = delivering && back === applied;
  message(notes.join(' '), failed ? 'danger' : all && settled ? 'success' : 'warning');
}
