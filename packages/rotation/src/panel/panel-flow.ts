import type {
  FleetPending,
  PanelConfirmations,
  PanelRefusal,
  TunnelPending,
} from '../confirm/panel-confirmations.js';
import { errorCode } from '../error-code.js';
import type { FleetAnswer, FleetRotation, FleetTarget } from '../fleet/fleet-rotation.js';
import { generateOnce } from '../one/generate-once.js';
import type { Rotation } from '../one/rotation.js';
import type { RotationSteps } from '../one/steps.js';
import { notRotatedText } from '../text/rotation-text.js';
import type { RotationAnswer, RotationOutput } from '../types.js';

/** What the panel's calls work with. */
export interface PanelFlowDeps {
  steps: RotationSteps;
  app: PanelConfirmations;
  rotation: Rotation;
  /** The bulk flow (rotate_ipsec_psks), whose panel confirmations are answered here too. */
  fleet?: FleetRotation | undefined;
  /** Whether the panel may show the key (`IPSEC_PSK_APP_REVEAL`). */
  appReveal: boolean;
}

/** The panel's answer to the user. */
export type PanelDecision = 'rotate' | 'cancel';

/**
 * What the panel gets when it opens a confirmation: the nonce that lets it answer, for it alone, and what the
 * confirmation is about: one tunnel (`ipsec_tunnel_id`) or a bulk rotation (`ipsec_tunnel_ids`).
 */
export interface OpenedPanel {
  nonce: string;
  account_id: string;
  ipsec_tunnel_id?: string;
  ipsec_tunnel_ids?: string[];
}

/** The key, for the panel's Reveal. */
export interface RevealedKey {
  psk: string;
  psk_fingerprint: string;
  psk_file?: string;
  /** The device's configuration text (with the key), when delivery wrote one for this rotation. */
  device_config?: string;
  device_config_file?: string;
}

/** An answer of one of the panel's calls, or a refusal with a safe message. */
export type PanelAnswer<T> = { output: T; text: string } | { error: string };

const REFUSED: Record<PanelRefusal, string> = {
  unknown: 'This confirmation is not one this server issued, or it was already used or discarded.',
  expired: 'This confirmation has expired.',
  claimed: 'This confirmation was already opened elsewhere (another panel, or an earlier load of this one).',
  answered: 'This confirmation was already answered.',
  wrong_secret: 'This confirmation was not opened by the panel it was shown in, so it was discarded.',
  wrong_nonce: 'This confirmation was not opened by this panel, so it was discarded.',
  no_key: 'There is no key to show for this confirmation.',
  several_keys:
    'The panel does not show the keys of a bulk rotation: each new key is in its own file (mode 0600) on the server ' +
    'machine, listed with the results.',
};

/**
 * The calls of the MCP App's panel (app-only tools: the host never offers them to the model). Opening claims the
 * confirmation's nonce once; answering spends it, then rotates exactly as a form-confirmed rotation does; revealing
 * shows the key to the panel alone, for a while, when the operator allows it.
 */
export class PanelFlow {
  constructor(private readonly deps: PanelFlowDeps) {}

  private refused(refusal: PanelRefusal): { error: string } {
    return this.deps.steps.fail(
      `${REFUSED[refusal]} Nothing was sent. Ask the assistant to start the rotation again.`,
    );
  }

  async open(confirmationId: string, secret: string): Promise<PanelAnswer<OpenedPanel>> {
    const claimed = await this.deps.app.claim(confirmationId, secret, this.deps.steps.principal);
    if (typeof claimed === 'string') return this.refused(claimed);
    const { pending } = claimed;
    const output: OpenedPanel = { nonce: claimed.nonce, account_id: pending.accountId };
    if (pending.kind === 'tunnel') output.ipsec_tunnel_id = pending.tunnelId;
    else output.ipsec_tunnel_ids = [...pending.tunnelIds];
    return {
      output,
      text: `${this.deps.steps.prefix()}Confirmation opened in the panel. Nothing has been changed.`,
    };
  }

  answer(
    confirmationId: string,
    nonce: string,
    decision: PanelDecision,
  ): Promise<RotationAnswer | FleetAnswer> {
    return this.deps.steps.track(this.answerOnce(confirmationId, nonce, decision));
  }

  private async answerOnce(
    confirmationId: string,
    nonce: string,
    decision: PanelDecision,
  ): Promise<RotationAnswer | FleetAnswer> {
    const pending = await this.deps.app.answer(confirmationId, nonce, this.deps.steps.principal);
    if (typeof pending === 'string') return this.refused(pending);
    if (pending.kind === 'fleet') return this.answerFleet(pending, decision);
    return this.answerTunnel(confirmationId, pending, decision);
  }

  private async answerTunnel(
    confirmationId: string,
    pending: TunnelPending,
    decision: PanelDecision,
  ): Promise<RotationAnswer> {
    const { steps } = this.deps;
    const target = { accountId: pending.accountId, tunnelId: pending.tunnelId };

    if (decision === 'cancel') {
      await steps.audit('declined', target, { confirmed_by: 'app' });
      const output: RotationOutput = { ...steps.base(target), status: 'declined' };
      return { output, text: notRotatedText(steps.prefix(), 'declined', await steps.history(target)) };
    }

    const rotated = await steps.withLock(target, async () => this.rotate(pending));
    if (!('answer' in rotated)) return rotated;
    if (!rotated.key) return rotated.answer;
    await this.deps.app.keep(confirmationId, rotated.key).catch((error: unknown) => {
      // The key is stored; only the panel's Reveal is lost, and the result says where the file is.
      this.deps.steps.deps.logger.warn(`could not keep the key for the panel's Reveal (${errorCode(error)})`);
    });
    const { answer } = rotated;
    // The panel offers Reveal only when it will work; this result goes to the panel alone.
    return 'output' in answer
      ? { ...answer, output: { ...answer.output, reveal_available: this.deps.appReveal } }
      : answer;
  }

  private async rotate(pending: TunnelPending) {
    const { steps } = this.deps;
    const target = { accountId: pending.accountId, tunnelId: pending.tunnelId };
    // Validated when the question was asked; after the click, the one round trip is the persisting call.
    const superseded = await this.deps.rotation.supersededSince(target, pending.issuedAt, 'app');
    if (superseded) return { answer: superseded };
    return generateOnce(steps, target, pending.facts, 'app');
  }

  /**
   * A bulk rotation's answer, its confirmation already spent: Cancel records a decline for every tunnel and sends
   * nothing; Rotate takes every tunnel's lock, refuses if any of them had a rotation attempt after the question was
   * asked, then sends the keys made and stored here (exactly the tunnels asked about, as known then). The result goes
   * to the panel; there is no Reveal for several keys.
   */
  private async answerFleet(pending: FleetPending, decision: PanelDecision): Promise<FleetAnswer> {
    const { fleet } = this.deps;
    if (!fleet) return this.deps.steps.fail('This server does not rotate several tunnels. Nothing was sent.');
    const target: FleetTarget = { accountId: pending.accountId, ids: [...pending.tunnelIds] };
    if (decision === 'cancel') return fleet.declinedInPanel(target, pending.tunnels);
    return fleet.withLocks(target, async () => {
      // Validated when the question was asked; after the click, the round trips are the persisting calls.
      const superseded = await fleet.supersededSince(target, pending.issuedAt, 'app');
      if (superseded) return superseded;
      return fleet.send(target, pending.tunnels, 'app');
    });
  }

  async reveal(confirmationId: string, nonce: string): Promise<PanelAnswer<RevealedKey>> {
    const { steps } = this.deps;
    if (!this.deps.appReveal) {
      return steps.fail(
        'The operator has turned off showing keys in the panel (IPSEC_PSK_APP_REVEAL=0): read the key from its ' +
          'file on the server machine.',
      );
    }
    const key = await this.deps.app.reveal(confirmationId, nonce, this.deps.steps.principal);
    if (typeof key === 'string') return this.refused(key);
    const output: RevealedKey = { psk: key.psk.reveal(), psk_fingerprint: key.fingerprint };
    if (key.file) output.psk_file = key.file;
    if (key.config && key.configFile) {
      output.device_config = key.config.reveal();
      output.device_config_file = key.configFile;
    }
    return { output, text: `${steps.prefix()}The key (${key.fingerprint}) is shown in the panel only.` };
  }
}
