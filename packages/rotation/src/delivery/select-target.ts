import { neutralizeText } from '@ipsec-psk/core';
import { NAME_MAX_LENGTH } from '../text/rotation-text.js';
import { namePattern } from './config-fields.js';
import type { DeliveryConfig, DeliveryTarget } from './config-types.js';

/**
 * The target a tunnel's key goes to, or why there is none. `unsure`: a rule might have matched but could not be
 * checked, so the key may be missing where the operator wants it (a failure, not a skip).
 */
export type Selection = { target: DeliveryTarget } | { none: string; unsure?: boolean };

/**
 * The first rule that matches the tunnel (by id, or by its name as `ipsec-psk list` shows it), else the default.
 * When the name is unknown (the tunnel could not be read) and a name rule might have matched, nothing is chosen:
 * the default could be another device's.
 */
export function selectTarget(config: DeliveryConfig, tunnelId: string, name: string | undefined): Selection {
  const shown = name === undefined ? undefined : neutralizeText(name, NAME_MAX_LENGTH);
  let nameUnknown = false;
  for (const rule of config.rules) {
    if ('tunnelId' in rule.match) {
      if (rule.match.tunnelId === tunnelId.toLowerCase()) return { target: rule.target };
    } else if (shown === undefined) {
      nameUnknown = true;
    } else if (namePattern(rule.match.namePattern).test(shown)) {
      return { target: rule.target };
    }
  }
  if (nameUnknown) {
    return {
      none: "the tunnel's name is not known (it could not be read), so the delivery file's name rules cannot be checked",
      unsure: true,
    };
  }
  if (config.defaultTarget) return { target: config.defaultTarget };
  return { none: `no target in ${config.source} matches this tunnel, and it has no default` };
}
