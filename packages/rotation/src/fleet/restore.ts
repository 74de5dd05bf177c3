import { heldPreviousKey } from '../delivery/previous-key.js';
import type { RotationSteps } from '../one/steps.js';
import { restoreQuestion } from '../text/restore-text.js';
import type { ConfirmAnswer, Confirmer } from '../types.js';
import { auditFleet, type FleetAnswer, prepareFleet, resolveFleet } from './fleet-prepare.js';
import { fleetBase } from './fleet-result.js';
import type { FleetRotation } from './fleet-rotation.js';
import type { OnProgress } from './fleet-send.js';

/** Which tunnel's previous key to put back. */
export interface RestoreInput {
  account_id?: string | undefined;
  ipsec_tunnel_id: string;
}

/**
 * The way back after a failed delivery: the key in force before the tunnel's current one, read from the file a
 * rotation on this machine stored it in, set again with Set PSKs. It is a rotation like any other: validated, asked
 * (a person must answer; there is no token or panel for it), stored under a new file before it is sent, its audit
 * lines `set_psks` with `restore_of` naming the file, then delivered like any new key.
 */
export class RestoreFlow {
  constructor(
    private readonly steps: RotationSteps,
    private readonly fleet: FleetRotation,
    private readonly defaultAccountId: string | undefined,
  ) {}

  run(input: RestoreInput, confirmer: Confirmer, onProgress?: OnProgress): Promise<FleetAnswer> {
    return this.steps.track(this.runOnce(input, confirmer, onProgress));
  }

  private async runOnce(
    input: RestoreInput,
    confirmer: Confirmer,
    onProgress?: OnProgress,
  ): Promise<FleetAnswer> {
    const { steps } = this;
    const target = resolveFleet(steps, input.account_id ?? this.defaultAccountId, [input.ipsec_tunnel_id]);
    if ('error' in target) return target;
    const tunnelId = target.ids[0] ?? '';
    if (!confirmer.canAsk || confirmer.asksLater) {
      return steps.fail(
        'Putting a previous key back needs a person to confirm it, and nobody can be asked here. Nothing was sent.',
      );
    }
    return this.fleet.withLocks(target, async () => {
      const previous = await heldPreviousKey(
        steps.deps.store,
        await steps.records(),
        target.accountId,
        tunnelId,
      );
      if ('reason' in previous) {
        return steps.fail(
          `No previous key of tunnel ${tunnelId} is held on this machine (${previous.reason}), so it cannot be put ` +
            'back. Nothing was sent. Configure the current key on the customer device instead.',
        );
      }
      const prepared = await prepareFleet(steps, target);
      if (!('tunnels' in prepared)) return prepared;
      const facts = prepared.tunnels[0];
      const question = restoreQuestion({
        accountId: target.accountId,
        tunnelId,
        name: facts?.name,
        lastGeneratedOn: facts?.lastGeneratedOn,
        previous: previous.held,
        history: prepared.histories.get(tunnelId),
        prefix: steps.prefix(),
        now: steps.deps.now(),
      });
      const via = confirmer.via ?? 'form';
      let answer: ConfirmAnswer;
      try {
        answer = await confirmer.ask(question);
      } catch (error) {
        await auditFleet(steps, 'confirmation_refused', target, {
          code: 'elicitation_failed',
          confirmed_by: via,
        });
        return steps.fail(
          `The confirmation could not be completed (${(error as { name?: string }).name ?? 'error'}); nothing was sent.`,
        );
      }
      if (answer !== 'accept') {
        const status = answer === 'decline' ? 'declined' : 'cancelled';
        await auditFleet(steps, status, target, { confirmed_by: via });
        return {
          output: { ...fleetBase(steps.deps.sandbox, target, prepared.tunnels), status },
          text: `${steps.prefix()}The user ${status} putting the previous key back. Nothing was sent; the current key stays.`,
        };
      }
      const given = new Map([[tunnelId, { psk: previous.key, restoreOf: previous.held.file }]]);
      const sent = await this.fleet.send(target, prepared.tunnels, via, onProgress, given);
      if (!('output' in sent)) return sent;
      return {
        output: sent.output,
        text:
          `${steps.prefix()}Putting back the previous key of tunnel ${tunnelId} (${previous.held.fingerprint}, ` +
          `from ${previous.held.file}):\n${sent.text}`,
      };
    });
  }
}
