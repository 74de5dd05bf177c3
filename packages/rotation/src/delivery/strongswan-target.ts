import { quoteText } from '@ipsec-psk/core';
import type { StrongswanTarget } from './config-types.js';
import { localIdentity, remoteIdentity, strongswanIdentity } from './identities.js';
import { type DeliveryJob, failed, type TargetOutcome } from './job.js';
import { isAuthenticationFailure, ViciClient, ViciCommandError, ViciError } from './vici/client.js';

// Delivery into a running charon: the key replaces the previous one under one stable id (loading under the same id
// swaps it in place; a second id would leave two keys, and a responder signs with the last one loaded), then the
// tunnel's IKE SA is terminated and initiated again, because a live IKE SA never looks at the key again.

/** Room left after initiate for the check and a terminate of a half-open SA. */
const CHECK_RESERVE_MS = 1_500;
/** charon's own wait for initiate never drops below this, so a slow peer is not cut short. */
const MIN_INITIATE_MS = 1_000;

/** charon's words, quoted: data in our sentence, not part of it. */
function viciProblem(error: unknown): string {
  if (error instanceof ViciCommandError) return `charon said ${quoteText(error.errmsg, 200)}`;
  if (error instanceof ViciError) return `${error.code.toLowerCase()}: ${quoteText(error.message, 200)}`;
  return 'unexpected error';
}

function viciCode(error: unknown, step: string): string {
  if (error instanceof ViciError && (error.code === 'TIMEOUT' || error.code === 'ABORTED')) return 'timeout';
  if (error instanceof ViciError && error.code === 'CONNECT') return 'vici_connect';
  return `vici_${step}`;
}

/** How long after initiate answered the SA may take to be listed ESTABLISHED and INSTALLED. */
const SETTLE_MS = 1_000;

/**
 * Whether the connection's IKE SA is ESTABLISHED with the child INSTALLED. charon answers initiate while its worker
 * thread still holds the SA, so list-sas waits for it (no `noblock`), and the check is repeated briefly.
 */
async function establishedWithin(
  vici: ViciClient,
  target: StrongswanTarget,
  signal: AbortSignal,
  deadline: number,
): Promise<boolean> {
  const until = Math.min(deadline, Date.now() + SETTLE_MS);
  for (;;) {
    const sas = await vici.listSas(
      { ike: target.connection },
      { signal, timeoutMs: Math.max(1, deadline - Date.now()) },
    );
    const up = sas.some(
      (sa) =>
        sa.state === 'ESTABLISHED' &&
        sa.children.some((child) => child.name === target.child && child.state === 'INSTALLED'),
    );
    if (up || Date.now() >= until) return up;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The VICI id the key goes under: the operator's, else one per tunnel. */
export function keyIdFor(target: StrongswanTarget, tunnelId: string): string {
  return target.keyId ?? `ipsec-psk-${tunnelId}`;
}

/**
 * Loads the key into charon, terminates the connection's IKE SA, initiates its CHILD_SA and checks that the IKE SA
 * is ESTABLISHED with the child INSTALLED; all within the target's timeout.
 */
export async function deliverToStrongswan(
  target: StrongswanTarget,
  job: DeliveryJob,
  signal: AbortSignal,
): Promise<TargetOutcome> {
  const sources = { ...job.details, ipsecId: job.ipsecId };
  const local = localIdentity(target.localId, sources);
  const remote = remoteIdentity(target.remoteId, sources);
  if (!local || !remote) {
    const missing = local ? 'remote_id (no Cloudflare endpoint is known)' : 'local_id';
    return failed(
      'no_identity',
      `the tunnel's IKE identities are not known (no custom_remote_identities.fqdn_id, no ipsec_id from Set PSKs, ` +
        `or no endpoint): set ${missing} in the strongswan target. Nothing was sent to charon.`,
    );
  }
  const deadline = Date.now() + target.timeoutMs;
  const left = () => Math.max(1, deadline - Date.now());
  const vici = new ViciClient({ socketPath: target.socketPath, timeoutMs: target.timeoutMs });
  const where = `charon at ${target.socketPath}`;

  try {
    await vici.loadShared(
      {
        id: keyIdFor(target, job.tunnelId),
        type: 'IKE',
        data: job.key.reveal(),
        owners: [strongswanIdentity(local), strongswanIdentity(remote)],
      },
      { signal, timeoutMs: left() },
    );
  } catch (error) {
    return failed(
      viciCode(error, 'load'),
      `the key could not be loaded into ${where}: ${viciProblem(error)}`,
    );
  }

  try {
    await vici.terminate(
      { ike: target.connection, force: true, timeoutMs: 2_000 },
      { signal, timeoutMs: left() },
    );
  } catch (error) {
    // Nothing to terminate is the normal case for a tunnel that was already down.
    const nothing = error instanceof ViciCommandError && /no matching SAs/i.test(error.errmsg);
    if (!nothing) {
      return failed(
        viciCode(error, 'terminate'),
        `the key was loaded into ${where}, but the old IKE SA of ${target.connection} could not be ended: ` +
          `${viciProblem(error)}. It still runs with the old key until it is re-established.`,
        { ikeUp: false },
      );
    }
  }

  const initiateMs = Math.max(MIN_INITIATE_MS, left() - CHECK_RESERVE_MS);
  try {
    await vici.initiate(
      { ike: target.connection, child: target.child, timeoutMs: initiateMs, loglevel: 1 },
      { signal, timeoutMs: Math.max(left(), 1) },
    );
  } catch (error) {
    // initiate's own timeout only stops waiting: end the half-open attempt so it does not retry for minutes.
    await vici
      .terminate({ ike: target.connection, force: true, timeoutMs: 1_000 }, { timeoutMs: 2_000 })
      .catch(() => {});
    if (isAuthenticationFailure(error)) {
      return failed(
        'ike_auth_failed',
        `the key was loaded into ${where}, but the IKE SA of ${target.connection} did not come up: ` +
          'authentication failed (the device and Cloudflare hold different keys).',
        { ikeUp: false },
      );
    }
    return failed(
      viciCode(error, 'initiate'),
      `the key was loaded into ${where}, but the IKE SA of ${target.connection} did not come up: ${viciProblem(error)}.`,
      { ikeUp: false },
    );
  }

  try {
    if (!(await establishedWithin(vici, target, signal, deadline))) {
      return failed(
        'ike_not_up',
        `the key was loaded into ${where} and ${target.child} initiated, but no ESTABLISHED IKE SA with it ` +
          'INSTALLED is listed.',
        { ikeUp: false },
      );
    }
  } catch (error) {
    return failed(
      viciCode(error, 'list_sas'),
      `the key was loaded into ${where} and ${target.child} initiated, but its state could not be read: ` +
        `${viciProblem(error)}.`,
    );
  }
  return {
    result: 'delivered',
    detail: `loaded into ${where}; the IKE SA of ${target.connection} is ESTABLISHED with the new key.`,
    ikeUp: true,
  };
}
