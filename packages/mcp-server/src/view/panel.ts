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
import { keyAgeLine } from './age.js';
import { deliveryLine, deviceNotice, healthLine } from './device-view.js';
import { $, lead, message, setText, show } from './dom.js';
import { isFleet, renderFleetQuestion, renderFleetResults, renderFleetTunnels } from './fleet-view.js';
import { renderHistory } from './history-view.js';
import { copyText, pathView } from './path-view.js';
import { plainError, toPerson } from './words.js';

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

/** What the question showed of the tunnel: an answer that does not repeat it (a decline) keeps it on screen. */
let shownFacts: RotationOutput | undefined;

function renderFacts(output: RotationOutput): void {
  const before = shownFacts?.ipsec_tunnel_id === output.ipsec_tunnel_id ? shownFacts : undefined;
  const facts: RotationOutput = {
    ...output,
    sandbox: output.sandbox || before?.sandbox === true,
    tunnel_name: output.tunnel_name ?? before?.tunnel_name,
    last_generated_on: output.last_generated_on ?? before?.last_generated_on,
  };
  shownFacts = facts;
  show('sandbox', facts.sandbox);
  setText('name', facts.tunnel_name ?? 'unknown (Cloudflare did not say)');
  setText('tunnel', facts.ipsec_tunnel_id);
  setText('account', facts.account_id);
  setText('generated', keyAgeLine(facts.last_generated_on, Date.now()));
  show('facts');
}

/** The key file: its name whole, a copy button for the full path. */
function renderFile(path: string | undefined): void {
  $('file').replaceChildren(path ? pathView(path) : 'not stored');
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
  if (output.status === 'declined' || output.status === 'cancelled') {
    renderFleetTunnels(output);
    show('fleet-list', false);
    lead(notRotatedLead(output.status));
    message(toPerson(textOf(result)));
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
    message(plainError(textOf(result)), 'danger');
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
      renderFile(output.psk_file);
      show('outcome');
      if (output.delivery) {
        const notice = deviceNotice(output.delivery, output.health);
        setText('device-state', deliveryLine(output.delivery));
        setText('health-state', output.health ? healthLine(output.health) : 'not checked');
        show('device');
        message(notice.text, output.psk_file ? notice.tone : 'danger');
      } else {
        // Stored is good news, a tunnel that stays down is not: amber, not green.
        message(
          'The old key no longer works. Configure the new key on the customer device: the tunnel stays down until then.',
          output.psk_file ? 'warning' : 'danger',
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
      lead(notRotatedLead(output.status));
      message(toPerson(textOf(result)));
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
  if (fleet) renderHistory(output.history, 'these tunnels', 'ipsec-psk history');
  else renderHistory(output.history, 'this tunnel', `ipsec-psk history ${output.ipsec_tunnel_id}`);
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
    message(plainError(textOf(result)), 'danger');
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
    $('config-file').replaceChildren(
      revealed.device_config_file ? pathView(revealed.device_config_file) : 'the configuration file',
    );
    show('config-box');
  }
}

function copy(source: string, button: string): Promise<void> {
  const node = $(source);
  return copyText(node.textContent ?? '', node, $<HTMLButtonElement>(button));
}

function notRotatedLead(status: 'declined' | 'cancelled'): string {
  return status === 'declined'
    ? 'Not rotated: you declined, and nothing was sent'
    : 'Not rotated: the question was dismissed, and nothing was sent';
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
    message(plainError(textOf(result)), 'danger');
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
