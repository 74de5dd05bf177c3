import { basename } from 'node:path';
import { neutralizeText, Secret } from '@ipsec-psk/core';
import { describeFsError } from '../store/key-directory.js';
import type { PskStore } from '../store/psk-store.js';
import { NAME_MAX_LENGTH } from '../text/rotation-text.js';
import type { ConfigPlatform, IkeIdentity } from './config-types.js';
import { checkedInterface, deviceInterface, localIdentity } from './identities.js';
import { type DeliveryJob, failed, type TargetOutcome } from './job.js';
import { CONFIG_SUFFIX, renderConfig, TemplateError, type TemplateInput } from './templates/render.js';

/** What a template is built from, for one job: only checked values (see TunnelDetailsForDelivery). */
export function templateInput(
  job: DeliveryJob,
  options: { localId?: IkeIdentity | undefined; wanInterface?: string | undefined } = {},
): TemplateInput {
  const details = job.details ?? {};
  return {
    tunnelId: job.tunnelId,
    tunnelName: neutralizeText(job.tunnelName, NAME_MAX_LENGTH) || undefined,
    key: job.key,
    localId: localIdentity(options.localId, { ...details, ipsecId: job.ipsecId }),
    cloudflareEndpoint: details.cloudflareEndpoint,
    customerEndpoint: details.customerEndpoint,
    deviceInterface: deviceInterface(details.interfaceAddress),
    cloudflareInterface: checkedInterface(details.interfaceAddress),
    wanInterface: options.wanInterface,
  };
}

/**
 * Writes the platform's configuration text for the job's key beside the key file (`<key file's name>.<suffix>`,
 * 0600, atomically, under the key directory's rules) and returns it; the text itself is never in a result.
 */
export async function writeConfigText(
  store: PskStore,
  platform: ConfigPlatform,
  job: DeliveryJob,
  options: { localId?: IkeIdentity | undefined; wanInterface?: string | undefined } = {},
): Promise<TargetOutcome> {
  let text: Secret;
  try {
    text = new Secret(renderConfig(platform, templateInput(job, options)));
  } catch (error) {
    if (error instanceof TemplateError)
      return failed('template', `no ${platform} configuration: ${error.message}.`);
    throw error;
  }
  const name = `${basename(job.keyFile).replace(/\.psk$/, '')}.${CONFIG_SUFFIX[platform]}`;
  try {
    const file = await store.writeBeside(job.accountId, job.tunnelId, name, text);
    return {
      result: 'delivered',
      detail: `${platform} configuration text written to ${file} (mode 0600); apply it on the device.`,
      configFile: file,
    };
  } catch (error) {
    return failed(
      'config_write',
      `the ${platform} configuration text could not be written (${describeFsError(error)}).`,
    );
  }
}
