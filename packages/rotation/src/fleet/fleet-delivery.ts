import type { Delivery } from '../delivery/deliver.js';
import type { DeliveryJob } from '../delivery/job.js';
import type { DeliveryOutput } from '../output.js';
import type { SendOutcome } from './fleet-send.js';

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
