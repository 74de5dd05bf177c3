// What the panel says about the other end: whether the customer device took its new key (delivery) and whether
// Cloudflare sees the tunnel up again (health). The server's words, written as text.

import type { DeliveryOutput, HealthOutput } from '@ipsec-psk/rotation';
import type { Tone } from './dom.js';

const HEALTH = { up: 'up again', down: 'DOWN', unknown: 'not known yet' } as const;

/** One short line on the device, for a table cell. */
export function deliveryLine(delivery: DeliveryOutput): string {
  if (delivery.result === 'delivered') {
    if (delivery.ike_up) return `Device: key delivered (${delivery.target}), IKE SA up`;
    if (delivery.kind === 'config') return 'Device: configuration text written; apply it on the device';
    return `Device: key delivered (${delivery.target})`;
  }
  if (delivery.result === 'failed') {
    return `Device: delivery FAILED (${delivery.target})${delivery.previous_key_held ? '; previous key held here' : ''}`;
  }
  return 'Device: not delivered';
}

/** One short line on Cloudflare's view, for a table cell. */
export function healthLine(health: HealthOutput): string {
  return `Cloudflare sees it ${HEALTH[health.state]}`;
}

/** Whether the tunnel is known to be back: the device took the key and Cloudflare sees it up. */
export function isBack(delivery: DeliveryOutput | undefined, health: HealthOutput | undefined): boolean {
  return delivery?.result === 'delivered' && health?.state === 'up';
}

/** The notice after one tunnel's rotation, when delivery is configured: what became of the tunnel, what to do. */
export function deviceNotice(
  delivery: DeliveryOutput,
  health: HealthOutput | undefined,
): { text: string; tone: Tone } {
  const detail = delivery.detail ? ` ${delivery.detail}` : '';
  if (delivery.result === 'failed') {
    const back = delivery.previous_key_held
      ? ' This machine holds the previous key: ask your assistant to put it back (restore_ipsec_psk).'
      : ' No previous key is held here: configure the new key on the device.';
    return { text: `Delivery to the device FAILED; the tunnel is down.${detail}${back}`, tone: 'danger' };
  }
  if (delivery.result === 'skipped') {
    return {
      text: `The key was not delivered to the device; the tunnel is down until it is configured there.${detail}`,
      tone: 'warning',
    };
  }
  if (delivery.kind === 'config') {
    return {
      text: 'Configuration text for the device was written beside the key: apply it on the device (Reveal key shows it); the tunnel is down until then.',
      tone: 'warning',
    };
  }
  if (!health) return { text: `The device took the new key.${detail}`, tone: 'success' };
  const tone: Tone = health.state === 'up' ? 'success' : health.state === 'down' ? 'danger' : 'warning';
  return { text: `The device took the new key. ${healthLine(health)}: ${health.detail}`, tone };
}
