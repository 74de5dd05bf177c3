/** The panel's tools. App-only: hosts never list them to the model, and only the panel may call them. */
export const APP_TOOLS = {
  open: 'ipsec_psk_panel_open',
  answer: 'ipsec_psk_panel_answer',
  reveal: 'ipsec_psk_panel_reveal',
} as const;

/**
 * Where a result carries what only the View may see: MCP Apps hosts hand a tool result's `_meta` to the View and
 * not to the model, so the panel's secret travels there.
 */
export const PANEL_SECRET_META = 'io.github.ipsec-psk/panel-secret';
