/** The panel's tools. App-only: hosts never list them to the model, and only the panel may call them. */
export const APP_TOOLS = {
  open: 'ipsec_psk_panel_open',
  answer: 'ipsec_psk_panel_answer',
  reveal: 'ipsec_psk_panel_reveal',
} as const;
