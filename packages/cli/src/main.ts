#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import type { Sandbox } from '@ipsec-psk/cloudflare-sim';
import { createPskClient, isPskError, type PskClient } from '@ipsec-psk/core';
import {
  ConfigError,
  checkTunnelHealth,
  createRotator,
  type DeliveryConfig,
  type FleetOutput,
  type KnownTunnels,
  loadConfig,
  loadDeliveryConfig,
  rotationHistory,
  stderrLogger,
  type TunnelListing,
} from '@ipsec-psk/rotation';
import { type Options, parse, UsageError } from './args.js';
import { EXIT, exitFor, exitForHealth } from './exit-status.js';
import { historyText } from './history-text.js';
import { progressLine } from './progress.js';
import { terminalQuestion } from './prompt.js';
import { healthTable, listingTable } from './render.js';
import { AccountTunnels } from './tunnels.js';
import { USAGE } from './usage.js';
import { CLI_VERSION } from './version.js';

async function run(options: Options): Promise<number> {
  if (options.command === 'history') return history(options);
  const config = loadConfig(process.env, { sandbox: options.sandbox });
  // Checked before any request: a bad delivery file is a configuration error like a bad setting (list needs none).
  // A sandbox's keys are worthless: they never go to a device, whatever IPSEC_PSK_DELIVERY says.
  const delivery =
    options.command === 'list' || options.command === 'health' || options.sandbox
      ? undefined
      : loadDeliveryConfig(process.env);
  let sandbox: Sandbox | undefined;
  try {
    // Loaded only in sandbox mode: the simulator and its spec validation are a chunk of their own.
    sandbox = options.sandbox
      ? await (await import('@ipsec-psk/cloudflare-sim')).startSandbox({ stateDir: config.pskDir })
      : undefined;
    const client = createPskClient(
      sandbox ? { apiToken: sandbox.apiToken, baseUrl: sandbox.url } : (config.clientOptions ?? {}),
    );
    const accountId = options.account ?? sandbox?.accountId ?? config.defaultAccountId;
    if (accountId === undefined) throw new UsageError('pass --account, or set CLOUDFLARE_ACCOUNT_ID');
    const prefix = options.sandbox ? '[sandbox] ' : '';
    const filter = { nameContains: options.name, minKeyAgeDays: options.olderThan };
    const tunnels = new AccountTunnels(client, accountId);

    if (options.command === 'health') {
      const report = await checkTunnelHealth(client, {
        accountId,
        tunnelIds: await tunnels.resolve(options.tunnels),
        waitMs: options.waitS * 1000,
        onProgress: (message) => process.stderr.write(`${message}\n`),
      });
      process.stdout.write(
        `${options.json ? JSON.stringify({ account_id: accountId, tunnels: report }, null, 2) : healthTable(report, accountId, prefix)}\n`,
      );
      return exitForHealth(report);
    }
    if (options.command === 'list') {
      const listing = await tunnels.listing(filter);
      process.stdout.write(
        `${options.json ? JSON.stringify(listing, null, 2) : listingTable(listing, prefix)}\n`,
      );
      return EXIT.done;
    }
    if (!options.yes && !options.validateOnly && !process.stdin.isTTY) {
      throw new UsageError(
        `stdin is not a terminal, so nobody can confirm: pass --yes to ${options.command} without asking`,
      );
    }
    if (options.command === 'restore') {
      const [id = ''] = await tunnels.resolve(options.tunnels);
      return await rotate(options, config, delivery, client, accountId, [id], undefined);
    }
    const ids = options.tunnels.length
      ? await tunnels.resolve(options.tunnels)
      : await tunnels.chosen(filter);
    if (ids.length === 0) {
      const nothing: TunnelListing = { account_id: accountId, total: 0, tunnels: [] };
      process.stdout.write(
        options.json
          ? `${JSON.stringify({ ...nothing, status: 'nothing_to_rotate' })}\n`
          : `${prefix}No tunnel matches: nothing to rotate.\n`,
      );
      return EXIT.done;
    }
    return await rotate(options, config, delivery, client, accountId, ids, await tunnels.known());
  } finally {
    await sandbox?.close();
  }
}

async function rotate(
  options: Options,
  config: ReturnType<typeof loadConfig>,
  delivery: DeliveryConfig | undefined,
  client: PskClient,
  accountId: string,
  ids: string[],
  known: KnownTunnels | undefined,
): Promise<number> {
  // The terminal is the human: a question on it is this command's confirmation.
  const rotator = createRotator({
    client,
    pskDir: config.pskDir,
    fallbackDir: config.fallbackDir,
    logger: stderrLogger('ipsec-psk', { info: false }),
    reveal: config.reveal,
    sandbox: options.sandbox,
    defaultAccountId: accountId,
    delivery,
    health: config.healthWaitMs > 0 ? { waitMs: config.healthWaitMs } : undefined,
    confirm: terminalQuestion({
      input: process.stdin,
      output: process.stderr,
      yes: options.yes,
      prompt:
        options.command === 'restore'
          ? 'Put the previous key back now?'
          : `Rotate ${ids.length === 1 ? 'this key' : `these ${ids.length} keys`} now?`,
    }),
    confirmedVia: options.yes ? 'flag' : 'terminal',
  });
  // Once keys are being sent, a signal waits for them to be recorded; a second one stops at once (the keys are
  // already stored, and the audit log shows the attempt as unfinished).
  let signalled = false;
  const onSignal = () => {
    if (rotator.engine.inFlight() === 0 || signalled) process.exit(130);
    signalled = true;
    process.stderr.write(
      '\nFinishing: the keys being set are stored; their outcome is being recorded. Signal again to stop now.\n',
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const onProgress = progressLine(process.stderr);
  const answer =
    options.command === 'restore'
      ? await rotator.restorePreviousKey({ accountId, tunnelId: ids[0] ?? '', onProgress })
      : await rotator.rotateTunnels({
          accountId,
          tunnelIds: ids,
          validateOnly: options.validateOnly,
          onProgress,
          known,
        });
  onProgress.end();
  if ('error' in answer) throw new ReportedError(answer.error);
  process.stdout.write(`${options.json ? JSON.stringify(answer.output, null, 2) : answer.text}\n`);
  if (options.showConfig) await printConfigs(answer.output);
  return exitFor(answer.output);
}

/** The operator asked (--show-config): each device configuration text written by this run, after the result. */
async function printConfigs(output: FleetOutput): Promise<void> {
  for (const tunnel of output.tunnels) {
    const file = tunnel.delivery?.config_file;
    if (!file) continue;
    const text = await readFile(file, 'utf8').catch(() => undefined);
    process.stdout.write(
      `\n--- configuration for tunnel ${tunnel.ipsec_tunnel_id} (${file}) ---\n` +
        `${text ?? '(the file could not be read)\n'}`,
    );
  }
}

/**
 * `ipsec-psk history [TUNNEL]`: what the audit log says, read from the key directory; no request leaves, so no
 * credentials are needed (a tunnel named rather than given by id is looked up with them).
 */
async function history(options: Options): Promise<number> {
  const config = loadConfig(process.env, { sandbox: options.sandbox, credentials: 'optional' });
  let tunnelId: string | undefined = options.tunnels[0];
  if (tunnelId !== undefined && !/^[0-9a-f]{32}$/i.test(tunnelId)) {
    const accountId = options.account ?? config.defaultAccountId;
    if (!config.clientOptions || accountId === undefined) {
      throw new UsageError(
        'give the tunnel id: finding a tunnel by name needs the Cloudflare credentials and account',
      );
    }
    [tunnelId] = await new AccountTunnels(createPskClient(config.clientOptions), accountId).resolve([
      tunnelId,
    ]);
  }
  const report = await rotationHistory(config.pskDir, {
    accountId: options.account,
    tunnelId: tunnelId?.toLowerCase(),
  });
  const prefix = options.sandbox ? '[sandbox] ' : '';
  process.stdout.write(
    `${options.json ? JSON.stringify({ psk_dir: config.pskDir, tunnels: report }, null, 2) : historyText(report, config.pskDir, prefix)}\n`,
  );
  return EXIT.done;
}

/** A failure whose message is already the server's own safe words. */
class ReportedError extends Error {}

async function main(): Promise<number> {
  let options: ReturnType<typeof parse>;
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`ipsec-psk: ${(error as Error).message}. Run ipsec-psk --help.\n`);
    return EXIT.usage;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return EXIT.done;
  }
  if (options === 'version') {
    process.stdout.write(`${CLI_VERSION}\n`);
    return EXIT.done;
  }
  try {
    return await run(options);
  } catch (error) {
    // A bad setting (ConfigError, or core refusing a credential or URL) is the operator's to fix, like usage.
    const usage =
      error instanceof UsageError ||
      error instanceof ConfigError ||
      (isPskError(error) && error.code === 'invalid_input');
    const message =
      usage || error instanceof ReportedError || isPskError(error)
        ? (error as Error).message
        : `unexpected ${(error as Error)?.name ?? 'error'}`;
    if (options.json) process.stdout.write(`${JSON.stringify({ error: message })}\n`);
    process.stderr.write(`ipsec-psk: ${message}\n`);
    return usage ? EXIT.usage : EXIT.unchanged;
  }
}

process.exitCode = await main();
