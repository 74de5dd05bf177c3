import { readFile } from 'node:fs/promises';
import { RESOURCE_MIME_TYPE, registerAppResource } from '@modelcontextprotocol/ext-apps/server';
import type { McpServer } from '@modelcontextprotocol/server';

/** The confirmation panel, as MCP Apps hosts fetch it. */
export const VIEW_URI = 'ui://ipsec-psk/rotation-panel.html';

// Built into dist/ beside this module (scripts/build-view.mjs). Tests run the sources, so from src/ the built file
// is one directory over.
const CANDIDATES = [
  new URL('./rotation-panel.html', import.meta.url),
  new URL('../dist/rotation-panel.html', import.meta.url),
];

// No csp: the panel needs no network at all, so hosts apply the spec's restrictive default. Copy wants the clipboard.
const PANEL_META = { prefersBorder: true, permissions: { clipboardWrite: {} } };

let html: Promise<string> | undefined;

async function loadView(): Promise<string> {
  for (const candidate of CANDIDATES) {
    try {
      return await readFile(candidate, 'utf8');
    } catch {
      // Try the next place.
    }
  }
  throw new Error('the confirmation panel is not built (run pnpm build)');
}

/** Registers the panel: one self-contained HTML file that needs no network access (the spec's default CSP). */
export function registerViewResource(server: McpServer): void {
  registerAppResource(
    server,
    'IPsec PSK rotation panel',
    VIEW_URI,
    {
      description:
        'Shows a rotation for the user to confirm with a click, its outcome, and the new key on request.',
      _meta: { ui: PANEL_META },
    },
    async () => {
      html ??= loadView();
      const text = await html.catch((error: unknown) => {
        html = undefined;
        throw error;
      });
      return { contents: [{ uri: VIEW_URI, mimeType: RESOURCE_MIME_TYPE, text, _meta: { ui: PANEL_META } }] };
    },
  );
}
