import { randomUUID } from 'node:crypto';
import { isPskError, type PskGenerated } from '@ipsec-psk/core';
import type { ConfirmedBy } from '../confirm/channel.js';
import { errorCode } from '../error-code.js';
import { healthAfterDelivery } from '../health/after-delivery.js';
import { fingerprint, type KeyReservation } from '../store/psk-store.js';
import { deliverySentences } from '../text/delivery-text.js';
import type { RotationAnswer, RotationOutput, Target, TunnelFacts } from '../types.js';
import { decideRotated } from './check-back.js';
import { type Generated, plainMessages, type RotationSteps } from './steps.js';

// The one persisting call of a one-tunnel rotation (Generate PSK), with its rules: space for the key and the
// attempt line first, one request, the key stored before anyone is told, any doubt after sending an unknown outcome.

/**
 * The persisting call: reserve the key's space and write the attempt line first (either failing sends nothing),
 * send once, then store whatever came back before answering. Any doubt after sending is an unknown outcome.
 */
export async function generateOnce(
  steps: RotationSteps,
  target: Target,
  before: TunnelFacts,
  channel: ConfirmedBy,
): Promise<Generated> {
  let reservation: KeyReservation;
  try {
    reservation = await steps.deps.store.reserve(target.accountId, target.tunnelId);
  } catch (error) {
    await steps.audit('store_failed', target, { code: errorCode(error) });
    return {
      answer: steps.fail(
        `The key file could not be prepared: ${steps.describeStoreError(error)}. Nothing was sent; the current ` +
          'key still works. The operator must fix IPSEC_PSK_DIR (free space, permissions) before rotating.',
      ),
    };
  }
  const attemptId = randomUUID();
  try {
    await steps.deps.audit.append(
      steps.entry('rotation_attempt', target, {
        operation: 'psk_generate',
        attempt_id: attemptId,
        pid: process.pid,
        confirmed_by: channel,
      }),
      { durable: true },
    );
  } catch (error) {
    await reservation.release();
    steps.deps.logger.error(
      `could not write the rotation_attempt audit line (${errorCode(error)}); nothing was sent`,
    );
    return {
      answer: steps.fail(
        `The audit log could not be written (${errorCode(error)}), and a rotation is never sent without its ` +
          'record. Nothing was sent; the current key still works. The operator must fix IPSEC_PSK_DIR.',
      ),
    };
  }

  const sentAt = steps.deps.now().getTime();
  let result: PskGenerated;
  try {
    // No abort signal on purpose: once sent, cancelling cannot unsend it, and the key must still be stored.
    result = await steps.deps.client.generateIpsecPsk({
      accountId: target.accountId,
      ipsecTunnelId: target.tunnelId,
    });
  } catch (error) {
    await reservation.release();
    if (isPskError(error) && error.outcome === 'not_executed') {
      await steps.audit('rotation_failed', target, {
        operation: 'psk_generate',
        attempt_id: attemptId,
        code: error.code,
      });
      return { answer: steps.fail(`The rotation failed. ${error.message}`) };
    }
    if (!isPskError(error)) {
      steps.deps.logger.error(
        `unexpected ${errorCode(error)} around the persisting call; its outcome is treated as unknown`,
      );
    }
    const code = isPskError(error) ? error.code : 'internal';
    return { answer: await checkBack(steps, target, before, sentAt, code, attemptId) };
  }
  return storeKey(steps, target, before, result, reservation, attemptId);
}

async function storeKey(
  steps: RotationSteps,
  target: Target,
  before: TunnelFacts,
  result: PskGenerated,
  reservation: KeyReservation,
  attemptId: string,
): Promise<Generated> {
  const print = fingerprint(result.psk);
  const stored = await reservation.store(result.psk);
  const output: RotationOutput = {
    ...steps.base(target, { name: before.name, lastGeneratedOn: result.lastGeneratedOn }),
    status: 'generated',
    psk_fingerprint: print,
    messages: plainMessages(result.messages),
  };
  if (steps.deps.reveal) output.psk = result.psk.reveal();

  if (!stored.stored) {
    await steps.audit('key_unstored', target, {
      operation: 'psk_generate',
      attempt_id: attemptId,
      psk_fingerprint: print,
    });
    steps.deps.logger.error(
      `a key Cloudflare generated for tunnel ${target.tunnelId} (${print}) could not be stored: ${stored.failures.join('; ')}`,
    );
    const key = { psk: result.psk, fingerprint: print, file: undefined };
    const tried = `Tried: ${stored.failures.join('; ')}.`;
    if (steps.deps.reveal) {
      return {
        key,
        answer: {
          output,
          text:
            `${steps.prefix()}Generated a new PSK for tunnel ${target.tunnelId} (${print}); the old key no longer ` +
            'works. The key could NOT be stored anywhere, so it is only in this result (IPSEC_PSK_REVEAL=1): ' +
            `copy it to a safe place now. ${tried}`,
        },
      };
    }
    return {
      key,
      answer: steps.fail(
        `Cloudflare generated a new key (${print}) and the old key no longer works, but the new key could not be ` +
          `stored anywhere, so it is lost. ${tried} Fix the key directory, then, after confirming with the user, ` +
          'set a new key with rotate_ipsec_psks (it stores the key before sending it).',
      ),
    };
  }

  if (stored.failures.length > 0) {
    steps.deps.logger.warn(`stored key ${print} in ${stored.file} after: ${stored.failures.join('; ')}`);
  }
  await steps.audit('generated', target, {
    operation: 'psk_generate',
    attempt_id: attemptId,
    psk_fingerprint: print,
    psk_file: stored.file,
    ...(stored.fallback ? { fallback: true } : {}),
  });
  output.psk_file = stored.file;
  const where = stored.fallback
    ? `The key directory could not take it (${stored.failures.join('; ')}), so the new key (${print}) is in the ` +
      `FALLBACK location ${stored.file} (mode 0600): move it somewhere safe, and fix the key directory.`
    : `The new key (${print}) is stored in ${stored.file} (mode 0600).`;
  let next = 'Configure it on the customer device.';
  const { delivery } = steps.deps;
  if (delivery) {
    // After the store and its audit line: whatever delivery does, the key is already safe.
    output.delivery = await delivery.deliver({
      accountId: target.accountId,
      tunnelId: target.tunnelId,
      tunnelName: before.name,
      key: result.psk,
      fingerprint: print,
      keyFile: stored.file,
      details: before.details,
      ipsecId: undefined,
      operation: 'psk_generate',
    });
    const health = await healthAfterDelivery(
      steps.deps.client,
      target.accountId,
      [{ tunnelId: target.tunnelId, facts: before, delivery: output.delivery, at: steps.deps.now() }],
      steps.deps.health,
    );
    const verdict = health.get(target.tunnelId);
    if (verdict) output.health = verdict;
    next = deliverySentences(output.delivery, target.tunnelId, verdict);
  }
  return {
    key: {
      psk: result.psk,
      fingerprint: print,
      file: stored.file,
      configFile: output.delivery?.config_file,
    },
    answer: {
      output,
      text:
        `${steps.prefix()}Generated a new PSK for tunnel ${target.tunnelId}. The old key no longer works. ${where} ` +
        `${next}${steps.deps.reveal ? '' : ' The key itself is not shown here.'}`,
    },
  };
}

async function checkBack(
  steps: RotationSteps,
  target: Target,
  before: TunnelFacts,
  sentAtMs: number,
  code: string,
  attemptId: string,
): Promise<RotationAnswer> {
  const after = await steps.tunnelFacts(target);
  const rotated = decideRotated(before.lastGeneratedOn, after.lastGeneratedOn, sentAtMs);
  await steps.audit('outcome_unknown', target, {
    operation: 'psk_generate',
    attempt_id: attemptId,
    code,
    rotated,
  });
  const recovery =
    'The safe way back is rotate_ipsec_psks with ipsec_tunnel_ids ["' +
    target.tunnelId +
    '"]: after the user confirms, it sets a key made and stored on this machine before it is sent, so no answer ' +
    'can lose it. Do not call generate_ipsec_psk again for this tunnel.';
  const advice = {
    yes: `Checking back shows the key WAS replaced: the old key no longer works and the new key was lost in transit. ${recovery}`,
    no: 'Checking back shows the key was NOT replaced: the old key still works. It is safe to try again, after confirming with the user.',
    unknown: `Checking back could not tell whether the key was replaced: treat the old key as possibly dead. ${recovery}`,
  }[rotated];
  const output: RotationOutput = {
    ...steps.base(target, { name: before.name ?? after.name, lastGeneratedOn: after.lastGeneratedOn }),
    status: 'outcome_unknown',
    rotated,
  };
  if (rotated !== 'no') {
    output.recovery = {
      tool: 'rotate_ipsec_psks',
      arguments: { account_id: target.accountId, ipsec_tunnel_ids: [target.tunnelId] },
    };
  }
  return {
    output,
    text: `${steps.prefix()}Outcome unknown (${code}): the request may have reached Cloudflare. ${advice} Nothing was retried automatically.`,
  };
}
