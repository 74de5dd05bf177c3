import type { AppConfirmations, AppPending, AppRefusal } from './app-confirmations.js';
import type { Rotation } from './rotation.js';
import type { RotationSteps } from './rotation-steps.js';
import { notRotatedText } from './rotation-text.js';
import type { RotationAnswer, RotationOutput } from './rotation-types.js';

/** What the panel's calls work with. */
export interface AppFlowDeps {
  steps: RotationSteps;
  app: AppConfirmations;
  rotation: Rotation;
  /** Whether the panel may show the key (`IPSEC_PSK_APP_REVEAL`). */
  appReveal: boolean;
}

/** The panel's answer to the user. */
export type PanelDecision = 'rotate' | 'cancel';

/** What the panel gets when it opens a confirmation: the nonce that lets it answer, for it alone. */
export interface OpenedPanel {
  nonce: string;
  account_id: string;
  ipsec_tunnel_id: string;
}

/** The key, for the panel's Reveal. */
export interface RevealedKey {
  psk: string;
  psk_fingerprint: string;
  psk_file?: string;
}

/** An answer of one of the panel's calls, or a refusal with a safe message. */
export type PanelAnswer<T> = { output: T; text: string } | { error: string };

const REFUSED: Record<AppRefusal, string> = {
  unknown: 'This confirmation is not one this server issued, or it was already used or discarded.',
  expired: 'This confirmation has expired.',
  claimed: 'This confirmation was already opened elsewhere (another panel, or an earlier load of this one).',
  answered: 'This confirmation was already answered.',
  wrong_nonce: 'This confirmation was not opened by this panel, so it was discarded.',
  no_key: 'There is no key to show for this confirmation.',
};

/**
 * The calls of the MCP App's panel (app-only tools: the host never offers them to the model). Opening claims the
 * confirmation's nonce once; answering spends it, then rotates exactly as a form-confirmed rotation does; revealing
 * shows the key to the panel alone, for a while, when the operator allows it.
 */
export class AppFlow {
  constructor(private readonly deps: AppFlowDeps) {}

  private refused(refusal: AppRefusal): { error: string } {
    return this.deps.steps.fail(
      `${REFUSED[refusal]} Nothing was sent. Ask the assistant to start the rotation again.`,
    );
  }

  open(confirmationId: string): PanelAnswer<OpenedPanel> {
    const claimed = this.deps.app.claim(confirmationId);
    if (typeof claimed === 'string') return this.refused(claimed);
    const { pending } = claimed;
    return {
      output: { nonce: claimed.nonce, account_id: pending.accountId, ipsec_tunnel_id: pending.tunnelId },
      text: `${this.deps.steps.prefix()}Confirmation opened in the panel. Nothing has been changed.`,
    };
  }

  answer(confirmationId: string, nonce: string, decision: PanelDecision): Promise<RotationAnswer> {
    return this.deps.steps.track(this.answerOnce(confirmationId, nonce, decision));
  }

  private async answerOnce(
    confirmationId: string,
    nonce: string,
    decision: PanelDecision,
  ): Promise<RotationAnswer> {
    const { steps } = this.deps;
    const pending = this.deps.app.answer(confirmationId, nonce);
    if (typeof pending === 'string') return this.refused(pending);
    const target = { accountId: pending.accountId, tunnelId: pending.tunnelId };

    if (decision === 'cancel') {
      await steps.audit('declined', target, { confirmed_by: 'app' });
      const output: RotationOutput = { ...steps.base(target), status: 'declined' };
      return { output, text: notRotatedText(steps.prefix(), 'declined', await steps.history(target)) };
    }

    const rotated = await steps.withLock(target, async () => this.rotate(pending));
    if (!('answer' in rotated)) return rotated;
    if (!rotated.key) return rotated.answer;
    this.deps.app.keep(confirmationId, rotated.key);
    const { answer } = rotated;
    // The panel offers Reveal only when it will work; this result goes to the panel alone.
    return 'output' in answer
      ? { ...answer, output: { ...answer.output, reveal_available: this.deps.appReveal } }
      : answer;
  }

  private async rotate(pending: AppPending) {
    const { steps } = this.deps;
    const target = { accountId: pending.accountId, tunnelId: pending.tunnelId };
    // Validated when the question was asked; after the click, the one round trip is the persisting call.
    const superseded = await this.deps.rotation.supersededSince(target, pending.issuedAt, 'app');
    if (superseded) return { answer: superseded };
    return steps.rotate(target, pending.facts, 'app');
  }

  reveal(confirmationId: string, nonce: string): PanelAnswer<RevealedKey> {
    const { steps } = this.deps;
    if (!this.deps.appReveal) {
      return steps.fail(
        'The operator has turned off showing keys in the panel (IPSEC_PSK_APP_REVEAL=0): read the key from its ' +
          'file on the server machine.',
      );
    }
    const key = this.deps.app.reveal(confirmationId, nonce);
    if (typeof key === 'string') return this.refused(key);
    const output: RevealedKey = { psk: key.psk.reveal(), psk_fingerprint: key.fingerprint };
    if (key.file) output.psk_file = key.file;
    return { output, text: `${steps.prefix()}The key (${key.fingerprint}) is shown in the panel only.` };
  }
}
