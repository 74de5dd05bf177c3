#!/usr/bin/env node
import { parseArgs } from 'node:util';
import type { Sandbox } from '@ipsec-psk/cloudflare-sim';
import { createPskClient, isPskError, type PskClient } from '@ipsec-psk/core';
import {
  ConfigError,
  createRotator,
  type DeliveryConfig,
  listTunnels,
  loadConfig,
  loadDeliveryConfig,
  NAME_MAX_LENGTH,
  stderrLogger,
  type TunnelListing,
} from '@ipsec-psk/rotation';
import { EXIT, exitFor } from './exit-status.js';
import { terminalQuestion } from './prompt.js';
import { listingTable } from './render.js';
import { USAGE } from './usage.js';
import { CLI_VERSION } from './version.js';

class UsageError extends Error {}

interface Options {
  command: 'list' | 'rotate' | 'restore';
  tunnels: string[];
  account?: string | undefined;
  name?: string | undefined;
  olderThan?: number | undefined;
  validateOnly: boolean;
  yes: boolean;
  json: boolean;
  sandbox: boolean;
}

function parse(args: string[]): Options | 'help' | 'version' {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (values.version) return 'version';
  const [command, ...tunnels] = positionals;
  if (command !== 'list' && command !== 'rotate' && command !== 'restore') {
    throw new UsageError(
      command === undefined ? 'name a command: list, rotate or restore' : `unknown command "${command}"`,
    );
  }
  let olderThan: number | undefined;
  if (values['older-than'] !== undefined) {
    olderThan = Number(values['older-than']);
    if (!/^\d+$/.test(values['older-than']) || olderThan > 36_500) {
      throw new UsageError('--older-than must be a whole number of days from 0 to 36500');
    }
  }
  if (values.name !== undefined && (values.name.length === 0 || values.name.length > 100)) {
    throw new UsageError('--name must be 1 to 100 characters');
  }
  const filtered = values.name !== undefined || olderThan !== undefined;
  if (command === 'list' && tunnels.length > 0) throw new UsageError('list takes no tunnels; use --name');
  if (command === 'rotate') {
    if (tunnels.length > 0 && filtered) {
      throw new UsageError('rotate takes either tunnels or --name/--older-than, not both');
    }
    if (tunnels.length === 0 && !filtered) {
      throw new UsageError('rotate needs tunnels, or --name / --older-than to choose them');
    }
  }
  if (command === 'list' && (values['validate-only'] || values.yes)) {
    throw new UsageError('--validate-only and --yes are for rotate');
  }
  if (command === 'restore') {
    if (tunnels.length !== 1 || filtered) throw new UsageError('restore takes exactly one tunnel');
    if (values['validate-only']) throw new UsageError('--validate-only is for rotate');
  }
  return {
    command,
    tunnels,
    account: values.account,
    name: values.name,
    olderThan,
    validateOnly: values['validate-only'] === true,
    yes: values.yes === true,
    json: values.json === true,
    sandbox: values.sandbox === true,
  };
}

const OPTIONS = {
  account: { type: 'string' },
  name: { type: 'string' },
  'older-than': { type: 'string' },
  'validate-only': { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  json: { type: 'boolean' },
  sandbox: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

/** Tunnel arguments as ids: a 32-hex id as given, anything else as an exact name looked up in the list. */
async function resolveTunnels(client: PskClient, accountId: string, given: string[]): Promise<string[]> {
  const isId = (value: string) => /^[0-9a-f]{32}$/i.test(value);
  if (given.every(isId)) return given.map((id) => id.toLowerCase());
  const listing = await listTunnels(client, accountId, {}, new Date());
  return given.map((value) => {
    if (isId(value)) return value.toLowerCase();
    if (value.length > NAME_MAX_LENGTH)
      throw new UsageError(`a tunnel name is at most ${NAME_MAX_LENGTH} characters`);
    const named = listing.tunnels.filter((tunnel) => tunnel.tunnel_name === value);
    if (named.length === 1) return named[0]?.ipsec_tunnel_id ?? '';
    throw new UsageError(
      named.length === 0
        ? `no tunnel in account ${accountId} is named ${JSON.stringify(value)} (see ipsec-psk list)`
        : `${named.length} tunnels are named ${JSON.stringify(value)}: ${named.map((t) => t.ipsec_tunnel_id).join(', ')}; pass the id`,
    );
  });
}

async function run(options: Options): Promise<number> {
  const config = loadConfig(process.env, { sandbox: options.sandbox });
  // Checked before any request: a bad delivery file is a configuration error like a bad setting (list needs none).
  const delivery = options.command === 'list' ? undefined : loadDeliveryConfig(process.env);
  let sandbox: Sandbox | undefined;
  try {
    // Loaded only in sandbox mode: the simulator and its spec validation are a chunk of their own.
    sandbox = options.sandbox ? await (await import('@ipsec-psk/cloudflare-sim')).startSandbox() : undefined;
    const client = createPskClient(
      sandbox ? { apiToken: sandbox.apiToken, baseUrl: sandbox.url } : (config.clientOptions ?? {}),
    );
    const accountId = options.account ?? sandbox?.accountId ?? config.defaultAccountId;
    if (accountId === undefined) throw new UsageError('pass --account, or set CLOUDFLARE_ACCOUNT_ID');
    const prefix = options.sandbox ? '[sandbox] ' : '';
    const filter = { nameContains: options.name, minKeyAgeDays: options.olderThan };

    if (options.command === 'list') {
      const listing = await listTunnels(client, accountId, filter, new Date());
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
      const [id = ''] = await resolveTunnels(client, accountId, options.tunnels);
      return await rotate(options, config, delivery, client, accountId, [id]);
    }
    const ids = options.tunnels.length
      ? await resolveTunnels(client, accountId, options.tunnels)
      : (await listTunnels(client, accountId, filter, new Date())).tunnels.map((t) => t.ipsec_tunnel_id);
    if (ids.length === 0) {
      const nothing: TunnelListing = { account_id: accountId, total: 0, tunnels: [] };
      process.stdout.write(
        options.json
          ? `${JSON.stringify({ ...nothing, status: 'nothing_to_rotate' })}\n`
          : `${prefix}No tunnel matches: nothing to rotate.\n`,
      );
      return EXIT.done;
    }
    return await rotate(options, config, delivery, client, accountId, ids);
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
  const onProgress = (done: number, total: number, message: string) =>
    process.stderr.write(`${message} (${done} of ${total})\n`);
  const answer =
    options.command === 'restore'
      ? await rotator.restorePreviousKey({ accountId, tunnelId: ids[0] ?? '', onProgress })
      : await rotator.rotateTunnels({
          accountId,
          tunnelIds: ids,
          validateOnly: options.validateOnly,
          onProgress,
        });
  if ('error' in answer) throw new ReportedError(answer.error);
  process.stdout.write(`${options.json ? JSON.stringify(answer.output, null, 2) : answer.text}\n`);
  return exitFor(answer.output);
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
