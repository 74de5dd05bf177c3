// The confirmation panel: an MCP App View rendered by the host in a sandboxed iframe. It shows a pending rotation
// of one tunnel (generate_ipsec_psk) or of several (rotate_ipsec_psks, see fleet-view.ts), lets the user confirm it
// with a click (the model holds nothing that could), shows the outcome, and on request one tunnel's new key, which
// never leaves this panel. Everything from the server is written with textContent.

import type { FleetOutput, RotationOutput } from '@ipsec-psk/rotation';
import type { CallToolResult } from '@modelcontextprotocol/client';
import {
  App,
  applyDocumentTheme,
  applyHostFonts,
  applyHostStyleVariables,
  type McpUiHostContext,
} from '@modelcontextprotocol/ext-apps';
import { APP_TOOLS, PANEL_SECRET_META } from '../app-tool-names.js';
import { deliveryLine, deviceNotice, healthLine } from './device-view.js';
import { $, lead, message, setText, show } from './dom.js';
import { isFleet, renderFleetQuestion, renderFleetResults, renderFleetTunnels } from './fleet-view.js';

const app = new App({ name: 'ipsec-psk-panel', version: '1.0.0' }, {}, { autoResize: true });

/** What lets this panel answer: the confirmation it opened, the nonce that came with it, and whether it is a fleet's. */
let opened: { confirmationId: string; nonce: string; fleet: boolean } | undefined;

function applyContext(context: McpUiHostContext | undefined): void {
  if (context?.theme) applyDocumentTheme(context.theme);
  if (context?.styles?.variables) applyHostStyleVariables(context.styles.variables);
  if (context?.styles?.css?.fonts) applyHostFonts(context.styles.css.fonts);
}

function textOf(result: CallToolResult): string {
  return result.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
}

function renderFacts(output: RotationOutput): void {
  show('sandbox', output.sandbox);
  setText('name', output.tunnel_name ?? 'unknown');
  setText('tunnel', output.ipsec_tunnel_id);
  setText('account', output.account_id);
  setText('generated', output.last_generated_on ?? 'never or unknown');
  show('facts');
}

function renderHistory(lines: string[] | undefined): void {
  const list = $('history-list');
  list.replaceChildren(
    ...(lines ?? []).map((line) => {
      const item = document.createElement('li');
      item.textContent = line.replace(/^- /, '');
      return item;
    }),
  );
  show('history', (lines ?? []).length > 0);
}

/** Tells the model what a bulk rotation came to: each tunnel's result and file, never a key. */
function tellModelFleet(result: CallToolResult, output: FleetOutput): void {
  const tunnels = output.tunnels.map(
    ({ ipsec_tunnel_id, result, psk_file, psk_fingerprint, reason, rotated, delivery, health }) => ({
      ipsec_tunnel_id,
      result,
      psk_file,
      psk_fingerprint,
      reason,
      rotated,
      delivery,
      health,
    }),
  );
  const { status, account_id, applied, not_applied, not_sent, unknown } = output;
  void app
    .updateModelContext({
      content: [
        {
          type: 'text',
          text: `The user answered in the confirmation panel. The server reported:\n${textOf(result)}`,
        },
      ],
      structuredContent: { status, account_id, applied, not_applied, not_sent, unknown, tunnels },
    })
    .catch(() => {});
}

/** Tells the model what happened: the outcome only, never the key. */
function tellModel(summary: string, output?: RotationOutput): void {
  const structured: Record<string, unknown> = {};
  if (output) {
    for (const field of [
      'status',
      'ipsec_tunnel_id',
      'account_id',
      'psk_fingerprint',
      'psk_file',
      'rotated',
      'delivery',
      'health',
    ] as const) {
      if (output[field] !== undefined) structured[field] = output[field];
    }
  }
  void app
    .updateModelContext({ content: [{ type: 'text', text: summary }], structuredContent: structured })
    .catch(() => {});
}

/** A bulk rotation's outcome: completed or unknown (a table per tunnel), or declined. */
function renderFleetOutcome(result: CallToolResult, output: FleetOutput, viaPanel: boolean): void {
  show('history', false);
  if (output.status === 'declined' || output.status === 'cancelled') {
    renderFleetTunnels(output);
    show('fleet-list', false);
    lead('Cancelled: nothing was sent');
    message(textOf(result));
  } else {
    renderFleetResults(output);
  }
  if (viaPanel) tellModelFleet(result, output);
}

function renderOutcome(result: CallToolResult, viaPanel: boolean): void {
  show('actions', false);
  show('warning', false);
  if (result.isError) {
    lead('The rotation did not happen as asked');
    message(textOf(result), 'danger');
    if (viaPanel)
      tellModel(`The user answered in the confirmation panel; the server said: ${textOf(result)}`);
    return;
  }
  if (isFleet(result.structuredContent)) {
    renderFleetOutcome(result, result.structuredContent, viaPanel);
    return;
  }
  const output = result.structuredContent as unknown as RotationOutput;
  renderFacts(output);
  switch (output.status) {
    case 'generated':
      lead(
        output.psk_file ? 'New key generated and stored' : 'New key generated, but it could not be stored',
      );
      setText('fingerprint', output.psk_fingerprint ?? '');
      setText('file', output.psk_file ?? 'not stored');
      show('outcome');
      if (output.delivery) {
        const notice = deviceNotice(output.delivery, output.health);
        setText('device-state', deliveryLine(output.delivery));
        setText('health-state', output.health ? healthLine(output.health) : 'not checked');
        show('device');
        message(notice.text, output.psk_file ? notice.tone : 'danger');
      } else {
        message(
          'The old key no longer works. Configure the new key on the customer device: the tunnel stays down until then.',
          output.psk_file ? 'success' : 'danger',
        );
      }
      show('reveal-actions', viaPanel && output.reveal_available === true);
      break;
    case 'outcome_unknown':
      lead(`Outcome unknown: key replaced? ${output.rotated ?? 'unknown'}`);
      message(textOf(result), 'warning');
      break;
    case 'declined':
    case 'cancelled':
      lead('Cancelled: nothing was sent');
      message(textOf(result));
      break;
    default:
      lead('Done');
      message(textOf(result));
  }
  if (viaPanel) {
    const where = output.psk_file ? `, file ${output.psk_file}` : '';
    const print = output.psk_fingerprint ? `, fingerprint ${output.psk_fingerprint}` : '';
    const device = output.delivery ? `, delivery ${output.delivery.result}` : '';
    const health = output.health ? `, Cloudflare sees the tunnel ${output.health.state}` : '';
    tellModel(
      `The user answered in the confirmation panel. Outcome: ${output.status}${print}${where}` +
        `${output.rotated ? `, replaced: ${output.rotated}` : ''}${device}${health}. The key is not shown to the ` +
        'assistant.',
      output,
    );
  }
}

async function openConfirmation(output: RotationOutput | FleetOutput, secret: unknown): Promise<void> {
  const confirmationId = output.confirmation_id as string;
  const result = await app.callServerTool({
    name: APP_TOOLS.open,
    arguments: { confirmation_id: confirmationId, panel_secret: typeof secret === 'string' ? secret : '' },
  });
  if (result.isError) {
    lead('This confirmation cannot be answered here');
    message(textOf(result), 'danger');
    return;
  }
  const fleet = isFleet(output);
  opened = { confirmationId, nonce: (result.structuredContent as { nonce: string }).nonce, fleet };
  if (fleet) renderFleetQuestion(output);
  else lead('Rotate the pre-shared key of this tunnel?');
  renderHistory(output.history);
  show('warning');
  show('actions');
  $<HTMLButtonElement>('rotate').focus();
}

async function answer(decision: 'rotate' | 'cancel'): Promise<void> {
  if (!opened) return;
  for (const id of ['rotate', 'cancel']) $<HTMLButtonElement>(id).disabled = true;
  const rotating = opened.fleet
    ? 'Rotating… keep this panel open until every key is stored and sent'
    : 'Rotating… keep this panel open until the key is stored';
  lead(decision === 'rotate' ? rotating : 'Cancelling…');
  const result = await app
    .callServerTool(
      { name: APP_TOOLS.answer, arguments: { ...toArguments(opened), decision } },
      // Storing and sending can take a while on a slow link; a large fleet may wait out Cloudflare's rate limit.
      { timeout: (opened.fleet ? 30 : 5) * 60_000 },
    )
    .catch(
      (error: unknown): CallToolResult => ({
        content: [{ type: 'text', text: `The panel lost its connection (${(error as Error).name}).` }],
        isError: true,
      }),
    );
  renderOutcome(result, true);
  // The buttons are gone: the outcome's headline takes the focus, so keyboard and screen reader users land on it.
  $('lead').focus();
}

function toArguments(state: { confirmationId: string; nonce: string }) {
  return { confirmation_id: state.confirmationId, nonce: state.nonce };
}

async function reveal(): Promise<void> {
  if (!opened) return;
  const result = await app.callServerTool({ name: APP_TOOLS.reveal, arguments: toArguments(opened) });
  if (result.isError) {
    message(textOf(result), 'danger');
    return;
  }
  const revealed = result.structuredContent as {
    psk: string;
    device_config?: string;
    device_config_file?: string;
  };
  setText('key', revealed.psk);
  show('key-box');
  show('reveal-actions', false);
  if (revealed.device_config) {
    setText('config', revealed.device_config);
    setText('config-file', revealed.device_config_file ?? '');
    show('config-box');
  }
}

async function copy(source: string, button: string): Promise<void> {
  const node = $(source);
  try {
    await navigator.clipboard.writeText(node.textContent ?? '');
    setText(button, 'Copied');
  } catch {
    // Without the clipboard permission, select the text so the user can copy it themselves.
    const range = document.createRange();
    range.selectNodeContents(node);
    getSelection()?.removeAllRanges();
    getSelection()?.addRange(range);
    setText(button, 'Selected: press Ctrl+C');
  }
}

function hide(): void {
  setText('key', '');
  setText('config', '');
  show('key-box', false);
  show('config-box', false);
  show('reveal-actions');
}

async function render(result: CallToolResult): Promise<void> {
  if (result.isError) {
    lead('Nothing was changed');
    message(textOf(result), 'danger');
    return;
  }
  const output = result.structuredContent as unknown as RotationOutput | FleetOutput;
  if (isFleet(output)) renderFleetTunnels(output);
  else renderFacts(output);
  if (output.status === 'confirmation_required' && output.confirm_via === 'app' && output.confirmation_id) {
    await openConfirmation(output, result._meta?.[PANEL_SECRET_META]);
  } else if (output.status === 'confirmation_required') {
    lead('Your assistant will ask you to confirm in the chat');
    message('Nothing has been changed.');
  } else if (output.status === 'validated') {
    lead(
      isFleet(output)
        ? `Validated: Cloudflare would accept new keys for all ${output.tunnels.length} tunnels. Nothing was changed.`
        : 'Validated: a new key could be generated. Nothing was changed.',
    );
  } else {
    renderOutcome(result, false);
  }
}

$('rotate').addEventListener('click', () => void answer('rotate'));
$('cancel').addEventListener('click', () => void answer('cancel'));
$('reveal').addEventListener('click', () => void reveal());
$('copy').addEventListener('click', () => void copy('key', 'copy'));
$('copy-config').addEventListener('click', () => void copy('config', 'copy-config'));
$('hide').addEventListener('click', hide);

app.addEventListener('hostcontextchanged', applyContext);
app.addEventListener('toolinput', ({ arguments: args }) => {
  if (typeof args?.ipsec_tunnel_id === 'string') lead(`Checking tunnel ${args.ipsec_tunnel_id}…`);
  if (Array.isArray(args?.ipsec_tunnel_ids)) lead(`Checking ${args.ipsec_tunnel_ids.length} tunnels…`);
});
app.addEventListener('toolresult', (result) => void render(result as CallToolResult));
app.addEventListener('toolcancelled', () => lead('The call was cancelled; nothing was changed here.'));

await app.connect();
applyContext(app.getHostContext());
