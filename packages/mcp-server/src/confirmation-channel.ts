import type { ConfirmMode } from './config.js';

/** How the user confirms one rotation. */
export type ConfirmationChannel = 'form' | 'app' | 'token';

/** What the connected client can show the user. */
export interface ClientChannels {
  /** MCP form elicitation (`capabilities.elicitation.form`). */
  form: boolean;
  /** MCP Apps (`capabilities.extensions["io.modelcontextprotocol/ui"]` with the HTML profile). */
  app: boolean;
}

/**
 * Picks the channel: human-only ones first (the form, then the App, where the model holds nothing that confirms),
 * the two-step token last (the model relays it). Returns why not when the operator's mode leaves none.
 */
export function chooseChannel(
  mode: ConfirmMode,
  client: ClientChannels,
): ConfirmationChannel | { refused: string } {
  switch (mode) {
    case 'token':
      return 'token';
    case 'elicit':
      return client.form ? 'form' : { refused: 'requires a confirmation form (IPSEC_PSK_CONFIRM=elicit)' };
    case 'app':
      return client.app
        ? 'app'
        : { refused: 'requires the confirmation panel of an MCP App (IPSEC_PSK_CONFIRM=app)' };
    case 'human':
      if (client.form) return 'form';
      return client.app
        ? 'app'
        : {
            refused:
              'requires a human-only confirmation, a form or an MCP App panel (IPSEC_PSK_CONFIRM=human)',
          };
    case 'auto':
      if (client.form) return 'form';
      return client.app ? 'app' : 'token';
  }
}
