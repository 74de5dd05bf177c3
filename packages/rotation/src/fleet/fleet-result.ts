import { neutralizeText } from '@ipsec-psk/core';
import type { FleetOutput, FleetTunnel } from '../output.js';
import { canonicalTime, NAME_MAX_LENGTH } from '../text/rotation-text.js';
import type { AfterSend, FleetTunnelFacts } from '../types.js';
import type { FleetTarget } from './fleet-prepare.js';
import type { SendOutcome } from './fleet-send.js';

// A fleet's structured result: what every front end shows (the MCP result, the panel, `ipsec-psk rotate --json`).

/** The result's common part: the account and each tunnel as known when asked. */
export function fleetBase(
  sandbox: boolean,
  target: FleetTarget,
  tunnels: readonly FleetTunnelFacts[],
): FleetOutput {
  return {
    status: 'validated',
    sandbox: sandbox,
    account_id: target.accountId,
    tunnels: tunnels.map((tunnel) => describe(tunnel)),
  };
}

/** The result of a sent fleet: every tunnel's outcome, and the counts. */
export function fleetOutcomeOutput(
  sandbox: boolean,
  target: FleetTarget,
  outcomes: readonly SendOutcome[],
  reveal: boolean,
  after: AfterSend = {},
): FleetOutput {
  const count = (result: SendOutcome['result']) => outcomes.filter((o) => o.result === result).length;
  return {
    ...fleetBase(sandbox, target, []),
    status: count('unknown') > 0 ? 'outcome_unknown' : 'completed',
    tunnels: outcomes.map((outcome) => {
      const entry = describe(outcome.tunnel, outcome, reveal);
      const delivery = after.deliveries?.get(outcome.tunnel.id);
      if (delivery) entry.delivery = delivery;
      const health = after.health?.get(outcome.tunnel.id);
      if (health) entry.health = health;
      return entry;
    }),
    applied: count('applied'),
    not_applied: count('not_applied'),
    unknown: count('unknown'),
    not_sent: count('not_sent'),
  };
}

/** One tunnel as the result shows it: API text neutralised, times canonical, the key only when revealed. */
function describe(tunnel: FleetTunnelFacts, outcome?: SendOutcome, reveal = false): FleetTunnel {
  const entry: FleetTunnel = { ipsec_tunnel_id: tunnel.id };
  const name = neutralizeText(tunnel.name, NAME_MAX_LENGTH);
  if (name) entry.tunnel_name = name;
  const generated = canonicalTime(outcome?.lastGeneratedOn ?? tunnel.lastGeneratedOn);
  if (generated) entry.last_generated_on = generated;
  if (!outcome) return entry;
  entry.result = outcome.result;
  if (outcome.file) entry.psk_file = outcome.file;
  if (outcome.fingerprint) entry.psk_fingerprint = outcome.fingerprint;
  if (outcome.reason) entry.reason = neutralizeText(outcome.reason, 500);
  if (outcome.rotated) entry.rotated = outcome.rotated;
  if (reveal && outcome.result === 'applied' && outcome.psk) entry.psk = outcome.psk.reveal();
  return entry;
}
