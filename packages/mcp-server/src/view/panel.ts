// The confirmation panel: an MCP App View rendered by the host in a sandboxed iframe. It shows a pending rotation,
// lets the user confirm it with a click (the model holds nothing that could), shows the outcome, and on request
// the new key, which never leaves this panel. Everything from the server is written with textContent.
import {
  App,
  applyDocumentTheme,
  applyHostFonts,
  applyHostStyleVariables,
  type McpUiHostContext,
} from '@modelcontextprotocol/ext-apps';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { APP_TOOLS } from '../app-tool-names.js';
import type { RotationOutput } from '../rotation-output.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const show = (id: string, visible = true) => {
  $(id).hidden = !visible;
};
const setText = (id: string, text: string) => {
  $(id).textContent = text;
};

const app = new App({ name: 'ipsec-psk-panel', version: '1.0.0' }, {}, { autoResize: true });

/** What lets this panel answer: the confirmation it opened and the nonce that came with it. */
let opened: { confirmationId: string; nonce: string } | undefined;

function applyContext(context: McpUiHostContext | undefined): void {
  if (context?.theme) applyDocumentTheme(context.theme);
  if (context?.styles?.variables) applyHostStyleVariables(context.styles.variables);
  if (context?.styles?.css?.fonts) applyHostFonts(context.styles.css.fonts);
}

function textOf(result: CallToolResult): string {
  return result.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
}

function lead(text: string): void {
  setText('lead', text);
}

function message(text: string, tone: 'plain' | 'success' | 'warning' | 'danger' = 'plain'): void {
  const element = $('message');
  element.textContent = text;
  element.className = `notice ${tone === 'plain' ? '' : tone === 'danger' ? 'danger-notice' : tone}`;
  element.hidden = text === '';
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
    ] as const) {
      if (output[field] !== undefined) structured[field] = output[field];
    }
  }
  void app
    .updateModelContext({ content: [{ type: 'text', text: summary }], structuredContent: structured })
    .catch(() => {});
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
      message(
        'The old key no longer works. Configure the new key on the customer device: the tunnel stays down until then.',
        output.psk_file ? 'success' : 'danger',
      );
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
    tellModel(
      `The user answered in the confirmation panel. Outcome: ${output.status}${print}${where}` +
        `${output.rotated ? `, replaced: ${output.rotated}` : ''}. The key is not shown to the assistant.`,
      output,
    );
  }
}

async function openConfirmation(output: RotationOutput): Promise<void> {
  const confirmationId = output.confirmation_id as string;
  const result = await app.callServerTool({
    name: APP_TOOLS.open,
    arguments: { confirmation_id: confirmationId },
  });
  if (result.isError) {
    lead('This confirmation cannot be answered here');
    message(textOf(result), 'danger');
    return;
  }
  opened = { confirmationId, nonce: (result.structuredContent as { nonce: string }).nonce };
  lead('Rotate the pre-shared key of this tunnel?');
  renderHistory(output.history);
  show('warning');
  show('actions');
  $<HTMLButtonElement>('rotate').focus();
}

async function answer(decision: 'rotate' | 'cancel'): Promise<void> {
  if (!opened) return;
  for (const id of ['rotate', 'cancel']) $<HTMLButtonElement>(id).disabled = true;
  lead(decision === 'rotate' ? 'Rotating… keep this panel open until the key is stored' : 'Cancelling…');
  const result = await app
    .callServerTool(
      { name: APP_TOOLS.answer, arguments: { ...toArguments(opened), decision } },
      // Validation, the rotation and storing the key can take a while on a slow link.
      { timeout: 5 * 60_000 },
    )
    .catch(
      (error: unknown): CallToolResult => ({
        content: [{ type: 'text', text: `The panel lost its connection (${(error as Error).name}).` }],
        isError: true,
      }),
    );
  renderOutcome(result, true);
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
  setText('key', (result.structuredContent as { psk: string }).psk);
  show('key-box');
  show('reveal-actions', false);
}

async function copy(): Promise<void> {
  const key = $('key');
  try {
    await navigator.clipboard.writeText(key.textContent ?? '');
    setText('copy', 'Copied');
  } catch {
    // Without the clipboard permission, select the key so the user can copy it themselves.
    const range = document.createRange();
    range.selectNodeContents(key);
    getSelection()?.removeAllRanges();
    getSelection()?.addRange(range);
    setText('copy', 'Selected: press Ctrl+C');
  }
}

function hide(): void {
  setText('key', '');
  show('key-box', false);
  show('reveal-actions');
}

async function render(result: CallToolResult): Promise<void> {
  if (result.isError) {
    lead('Nothing was changed');
    message(textOf(result), 'danger');
    return;
  }
  const output = result.structuredContent as unknown as RotationOutput;
  renderFacts(output);
  if (output.status === 'confirmation_required' && output.confirm_via === 'app' && output.confirmation_id) {
    await openConfirmation(output);
  } else if (output.status === 'confirmation_required') {
    lead('Your assistant will ask you to confirm in the chat');
    message('Nothing has been changed.');
  } else if (output.status === 'validated') {
    lead('Validated: a new key could be generated. Nothing was changed.');
  } else {
    renderOutcome(result, false);
  }
}

$('rotate').addEventListener('click', () => void answer('rotate'));
$('cancel').addEventListener('click', () => void answer('cancel'));
$('reveal').addEventListener('click', () => void reveal());
$('copy').addEventListener('click', () => void copy());
$('hide').addEventListener('click', hide);

app.addEventListener('hostcontextchanged', applyContext);
app.addEventListener('toolinput', ({ arguments: args }) => {
  if (typeof args?.ipsec_tunnel_id === 'string') lead(`Checking tunnel ${args.ipsec_tunnel_id}…`);
});
app.addEventListener('toolresult', (result) => void render(result as CallToolResult));
app.addEventListener('toolcancelled', () => lead('The call was cancelled; nothing was changed here.'));

await app.connect();
applyContext(app.getHostContext());
