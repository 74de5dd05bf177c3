// The host page: plays what a web assistant does with a tool that has a View. The model's call goes to the host
// process; the View is rendered in a sandbox proxy on another origin and bridged with AppBridge; the View's own
// calls are checked against each tool's visibility before they are forwarded.

import type { CallToolResult, Tool } from '@modelcontextprotocol/client';
import {
  AppBridge,
  getToolUiResourceUri,
  type McpUiHostContext,
  PostMessageTransport,
} from '@modelcontextprotocol/ext-apps/app-bridge';

declare global {
  interface Window {
    HOST: { sandboxUrl: string; theme: 'light' | 'dark' };
    hostRun: (name: string, args: Record<string, unknown>) => Promise<CallToolResult>;
  }
}

const { sandboxUrl, theme } = window.HOST;
document.body.classList.toggle('dark', theme === 'dark');

// A few of the standard variables, as hosts send them, so the panel is seen taking the host's look.
const variables: Record<string, string> =
  theme === 'dark'
    ? {
        '--color-background-primary': '#18181b',
        '--color-text-primary': '#f4f4f5',
        '--font-sans': 'system-ui, sans-serif',
      }
    : {
        '--color-background-primary': '#ffffff',
        '--color-text-primary': '#18181b',
        '--font-sans': 'system-ui, sans-serif',
      };
const hostContext = {
  theme,
  styles: { variables },
  platform: 'web',
  displayMode: 'inline',
} as McpUiHostContext;

async function api<T>(
  method: 'GET' | 'POST',
  path: string,
  payload?: unknown,
): Promise<T & { error?: string }> {
  const response = await fetch(path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  return response.json();
}

function textOf(result: CallToolResult): string {
  return result.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
}

function proxyReady(frame: HTMLIFrameElement): Promise<void> {
  return new Promise((resolve) => {
    const listener = (event: MessageEvent) => {
      if (
        event.source === frame.contentWindow &&
        event.data?.method === 'ui/notifications/sandbox-proxy-ready'
      ) {
        window.removeEventListener('message', listener);
        resolve();
      }
    };
    window.addEventListener('message', listener);
  });
}

async function renderView(
  turn: HTMLElement,
  uri: string,
  args: Record<string, unknown>,
  result: Promise<CallToolResult>,
) {
  const frame = document.createElement('iframe');
  frame.setAttribute('sandbox', 'allow-scripts allow-same-origin allow-forms');
  frame.title = 'MCP App';
  turn.append(frame);
  const ready = proxyReady(frame);
  frame.src = sandboxUrl;
  await ready;

  const { resource } = await api<{
    resource: { contents: { text: string; _meta?: { ui?: { permissions?: object } } }[] };
  }>('POST', '/api/resource', { uri });
  const [content] = resource.contents;
  if (!content) throw new Error(`no content for ${uri}`);

  const bridge = new AppBridge(
    null,
    { name: 'ipsec-psk-test-host', version: '1.0.0' },
    {
      serverTools: {},
      serverResources: {},
      updateModelContext: { text: {} },
      message: { text: {} },
      logging: {},
    },
    { hostContext },
  );
  bridge.oncalltool = async (params) => {
    const answer = await api<{ result: CallToolResult }>('POST', '/api/app/call', params);
    if (answer.error) throw new Error(answer.error);
    return answer.result;
  };
  bridge.onreadresource = async (params) =>
    (await api<{ resource: never }>('POST', '/api/resource', params)).resource;
  bridge.onupdatemodelcontext = async (params) => {
    await api('POST', '/api/model/context', params);
    return {};
  };
  bridge.onmessage = async (params) => {
    await api('POST', '/api/model/message', params);
    return {};
  };
  bridge.addEventListener('sizechange', ({ height }) => {
    if (height !== undefined) frame.style.height = `${Math.ceil(height) + 2}px`;
  });
  const initialized = new Promise<void>((resolve) => bridge.addEventListener('initialized', () => resolve()));

  const target = frame.contentWindow as Window;
  await bridge.connect(new PostMessageTransport(target, target));
  await bridge.sendSandboxResourceReady({ html: content.text, permissions: content._meta?.ui?.permissions });
  await initialized;
  await bridge.sendToolInput({ arguments: args });
  await bridge.sendToolResult(await result);
}

async function run(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  const { tools } = await api<{ tools: Tool[] }>('GET', '/api/tools');
  const tool = tools.find((candidate) => candidate.name === name);
  if (!tool) throw new Error(`no tool ${name}`);
  const turn = document.createElement('div');
  turn.className = 'turn';
  document.getElementById('conversation')?.append(turn);
  const result = api<{ result: CallToolResult }>('POST', '/api/model/call', { name, arguments: args }).then(
    (answer) => {
      if (answer.error) throw new Error(answer.error);
      return answer.result;
    },
  );
  const uri = getToolUiResourceUri(tool);
  if (uri) await renderView(turn, uri, args, result);
  const final = await result;
  const said = document.createElement('div');
  said.className = 'model';
  said.textContent = `What the model read: ${textOf(final)}`;
  turn.append(said);
  return final;
}

window.hostRun = run;
document.getElementById('ask')?.addEventListener('submit', (event) => {
  event.preventDefault();
  const tunnel = (document.getElementById('tunnel') as HTMLInputElement).value.trim();
  void run('generate_ipsec_psk', { ipsec_tunnel_id: tunnel });
});
// The fleet panel: every tunnel of the demo account, in one confirmation.
document.getElementById('fleet')?.addEventListener('click', () => {
  void run('rotate_ipsec_psks', {
    ipsec_tunnel_ids: ['c4a7362d577a6c3019a474fd6f485823', '9d1e6f0b2a7c4e38b5f1d0c2a4e6b8f1'],
  });
});
