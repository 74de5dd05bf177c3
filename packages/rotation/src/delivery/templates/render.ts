import type { ConfigPlatform } from '../config-types.js';
import type { TemplateInput } from './common.js';
import { fortiosConfig } from './fortios.js';
import { iosXeConfig } from './ios-xe.js';
import { junosConfig } from './junos.js';
import { panosConfig } from './panos.js';
import { strongswanConfig } from './strongswan.js';
import { vyosConfig } from './vyos.js';

export { TemplateError, type TemplateInput } from './common.js';

const TEMPLATES: Record<ConfigPlatform, (input: TemplateInput) => string> = {
  strongswan: strongswanConfig,
  vyos: vyosConfig,
  fortios: fortiosConfig,
  'ios-xe': iosXeConfig,
  junos: junosConfig,
  panos: panosConfig,
};

/** The file-name suffix of each platform's text (the key file's name, then this). */
export const CONFIG_SUFFIX: Record<ConfigPlatform, string> = {
  strongswan: 'swanctl.conf',
  vyos: 'vyos.txt',
  fortios: 'fortios.txt',
  'ios-xe': 'ios-xe.txt',
  junos: 'junos.txt',
  panos: 'panos.txt',
};

/** A platform's configuration text for the tunnel; throws TemplateError when its syntax cannot carry the key. */
export function renderConfig(platform: ConfigPlatform, input: TemplateInput): string {
  return TEMPLATES[platform](input);
}
