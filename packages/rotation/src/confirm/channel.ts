/**
 * How a real rotation is confirmed by the user. `auto`: a form if the client can show one, else the MCP App, else
 * the two-step token; `human`: a form or the App, never the token (which the model relays); `elicit`: a form only;
 * `app`: the App only; `token`: the two-step token only.
 */
export type ConfirmMode = 'auto' | 'human' | 'elicit' | 'app' | 'token';

/** Every confirmation mode, as `IPSEC_PSK_CONFIRM` accepts them. */
export const CONFIRM_MODES: readonly ConfirmMode[] = ['auto', 'human', 'elicit', 'app', 'token'];

/** How the user confirms one rotation. */
export type ConfirmationChannel = 'form' | 'app' | 'token';

/** How a question reached the user: an MCP form, a terminal, a `--yes` flag, or a program's own callback. */
export type AskedVia = 'form' | 'terminal' | 'flag' | 'callback';

/** Who confirmed a rotation, as the audit log records it: a channel, or how a question reached the user. */
export type ConfirmedBy = ConfirmationChannel | AskedVia;

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
