import type { DeliveryOutput, HealthOutput } from '../output.js';
import { healthSentence } from './health-text.js';

// What a person (or the model) reads about delivering a key to its device: where it went, whether the tunnel is
// up, and when it is not, what to do. Details are our own words (a program's output neutralised); no key.

/** The way back after a failed delivery, or that there is none here. */
function wayBack(delivery: DeliveryOutput, tunnelId: string): string {
  if (delivery.previous_key_held) {
    return (
      ` This machine holds the tunnel's previous key (${delivery.previous_key_fingerprint}, in ` +
      `${delivery.previous_key_file}): putting it back at Cloudflare brings the tunnel up with the device's ` +
      `current key. Put it back with restore_ipsec_psk, \`ipsec-psk restore ${tunnelId}\` or restorePreviousKey(): ` +
      'Set PSKs with that key, after a confirmation like any rotation.'
    );
  }
  return (
    ' No previous key of this tunnel is held on this machine, so there is no way back here: configure the new ' +
    'key on the customer device.'
  );
}

function configFile(delivery: DeliveryOutput): string {
  return delivery.config_file
    ? ` Configuration text for the device, with the key, is in ${delivery.config_file} (mode 0600).`
    : '';
}

/** The sentences about one tunnel's delivery, for the rotation's text; `health` when Cloudflare's view was asked. */
export function deliverySentences(delivery: DeliveryOutput, tunnelId: string, health?: HealthOutput): string {
  if (health) return `Delivered to ${delivery.target}: ${delivery.detail} ${healthSentence(health)}`;
  switch (delivery.result) {
    case 'delivered':
      if (delivery.ike_up) return `Delivered to ${delivery.target}: ${delivery.detail}`;
      if (delivery.config_file) {
        return (
          `Configuration text for the device, with the key, is in ${delivery.config_file} (mode 0600): apply it ` +
          'there; until then the tunnel is down.'
        );
      }
      return (
        `Delivered to ${delivery.target}: ${delivery.detail} Whether the tunnel came up was not checked (the ` +
        'health check is off).'
      );
    case 'failed':
      return (
        `Delivery to ${delivery.target} FAILED: ${delivery.detail} The tunnel is down until the device has the ` +
        `new key.${wayBack(delivery, tunnelId)}${configFile(delivery)}`
      );
    case 'skipped':
      return (
        `The key was not delivered: ${delivery.detail} Configure it on the customer device; until then the ` +
        `tunnel is down.${configFile(delivery)}`
      );
  }
}

/** One line per tunnel of a fleet, for the fleet's text. */
export function deliveryLine(tunnelId: string, delivery: DeliveryOutput): string {
  switch (delivery.result) {
    case 'delivered':
      if (delivery.ike_up) return `- ${tunnelId}: delivered to ${delivery.target}; its IKE SA is up`;
      if (delivery.config_file)
        return `- ${tunnelId}: configuration text in ${delivery.config_file}; apply it`;
      return `- ${tunnelId}: delivered to ${delivery.target} (${delivery.detail})`;
    case 'failed': {
      const back = delivery.previous_key_held
        ? `; the previous key is held here (ipsec-psk restore ${tunnelId})`
        : '; no previous key is held here';
      return `- ${tunnelId}: delivery to ${delivery.target} FAILED, the tunnel is down: ${delivery.detail}${back}${delivery.config_file ? `; configuration text in ${delivery.config_file}` : ''}`;
    }
    case 'skipped':
      return `- ${tunnelId}: not delivered (${delivery.detail})${delivery.config_file ? `; configuration text in ${delivery.config_file}` : ''}`;
  }
}

/** The fleet's delivery summary: how many keys reached their devices. */
export function deliverySummary(deliveries: readonly DeliveryOutput[]): string {
  const count = (result: DeliveryOutput['result']) => deliveries.filter((d) => d.result === result).length;
  const [done, failedCount, skipped] = [count('delivered'), count('failed'), count('skipped')];
  return (
    `Delivery to the customer devices: ${done} delivered` +
    (failedCount
      ? `, ${failedCount} FAILED (those tunnels are down until their devices have the new keys)`
      : '') +
    (skipped ? `, ${skipped} not delivered (configure those keys on their devices)` : '') +
    '.'
  );
}
