import type { Delivery } from '../delivery/deliver.js';
import type { DeliveryJob } from '../delivery/job.js';
import { healthAfterDelivery } from '../health/after-delivery.js';
import type { HealthProgress } from '../health/tunnel-health-wait.js';
import type { StepsDeps } from '../one/steps.js';
import type { DeliveryOutput, HealthOutput } from '../output.js';
import type { OnProgress, SendOutcome } from './fleet-send.js';

// The fleet's order: Cloudflare first, then the device. Keys are made here, so the device could go first, but a
// device holding a key Cloudflare does not (a refused, unsent or lost request) is just as down as the reverse, and
// only Cloudflare's answer says which keys are in force. So only an applied key is delivered, right after the
// answer, and a refused one leaves both sides on the old key, still up.

/** Delivers every applied key of a fleet to its device; what became of each, by tunnel id. */
export async function deliverFleet(
  delivery: Delivery,
  accountId: string,
  outcomes: readonly SendOutcome[],
): Promise<Map<string, DeliveryOutput>> {
  const results = new Map<string, DeliveryOutput>();
  const jobs: DeliveryJob[] = [];
  for (const outcome of outcomes) {
    const { tunnel } = outcome;
    if (outcome.result === 'applied' && outcome.file && outcome.psk && outcome.fingerprint) {
      jobs.push({
        accountId,
        tunnelId: tunnel.id,
        tunnelName: tunnel.name,
        key: outcome.psk,
        fingerprint: outcome.fingerprint,
        keyFile: outcome.file,
        details: tunnel.details,
        ipsecId: outcome.ipsecId,
        operation: 'set_psks',
        restoreOf: outcome.restoreOf,
      });
    } else if (outcome.result === 'unknown') {
      results.set(
        tunnel.id,
        delivery.skipped(
          tunnel.id,
          tunnel.name,
          'whether Cloudflare applied the key is unknown, so it was not delivered (a device holding a key ' +
            'Cloudflare does not have is down too); settle the outcome first.',
        ),
      );
    }
  }
  const delivered = await delivery.deliverAll(jobs);
  jobs.forEach((job, index) => {
    const result = delivered[index];
    if (result) results.set(job.tunnelId, result);
  });
  return results;
}

/**
 * Cloudflare's view of every tunnel whose key reached its device, after the bounded wait; progress goes to the
 * fleet's own reporter, so a client that resets its timeout on progress keeps waiting.
 */
export async function fleetHealth(
  deps: Pick<StepsDeps, 'client' | 'health' | 'now'>,
  accountId: string,
  outcomes: readonly SendOutcome[],
  deliveries: ReadonlyMap<string, DeliveryOutput>,
  onProgress?: OnProgress,
): Promise<Map<string, HealthOutput>> {
  const at = deps.now();
  const delivered = outcomes.map((outcome) => ({
    tunnelId: outcome.tunnel.id,
    facts: outcome.tunnel,
    delivery: deliveries.get(outcome.tunnel.id),
    at,
  }));
  const total = outcomes.length;
  const progress: HealthProgress | undefined = onProgress && ((message) => onProgress(total, total, message));
  return healthAfterDelivery(deps.client, accountId, delivered, deps.health, progress);
}
