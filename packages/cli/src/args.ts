import { parseArgs } from 'node:util';

/** A command line that cannot run as given: exit status 2 with the message. */
export class UsageError extends Error {}

/** The command line, checked. */
export interface Options {
  command: 'list' | 'rotate' | 'restore' | 'health' | 'history';
  tunnels: string[];
  account?: string | undefined;
  name?: string | undefined;
  olderThan?: number | undefined;
  validateOnly: boolean;
  yes: boolean;
  json: boolean;
  sandbox: boolean;
  /** health: how long to keep asking until every tunnel is up, in seconds. */
  waitS: number;
  /** rotate, restore: print the devices' configuration text (with the keys) after the result. */
  showConfig: boolean;
}

/**
 * Node's parser speaks of positional arguments and `--` to a user who mistyped an option: say what was wrong with
 * which option, in the words of this command.
 */
function parserMessage(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const option = /'(--?[^' ]+)/.exec(message ?? '')?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option ${option}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    return message?.includes('argument missing') ? `${option} needs a value` : `${option} takes no value`;
  }
  return message ?? 'the arguments could not be read';
}

const COMMANDS: readonly Options['command'][] = ['list', 'rotate', 'restore', 'health', 'history'];

/** Reads the arguments (after the program name); throws UsageError naming the option and the rule. */
export function parse(args: string[]): Options | 'help' | 'version' {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(parserMessage(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (values.version) return 'version';
  const [command, ...tunnels] = positionals;
  if (!COMMANDS.includes(command as Options['command'])) {
    throw new UsageError(
      command === undefined ? `name a command: ${COMMANDS.join(', ')}` : `unknown command "${command}"`,
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
  if (command === 'history') {
    if (tunnels.length > 1 || filtered) throw new UsageError('history takes at most one tunnel');
    if (values['validate-only'] || values.yes)
      throw new UsageError('--validate-only and --yes are for rotate');
  }
  if (command === 'health') {
    if (tunnels.length === 0 || filtered) throw new UsageError('health takes one or more tunnels');
    if (values['validate-only'] || values.yes)
      throw new UsageError('--validate-only and --yes are for rotate');
  }
  if (values['show-config'] && command !== 'rotate' && command !== 'restore') {
    throw new UsageError('--show-config is for rotate and restore');
  }
  if (values['show-config'] && values.json)
    throw new UsageError('--show-config prints text: leave out --json');
  const waitS = values.wait === undefined ? 0 : Number(values.wait);
  if (values.wait !== undefined) {
    if (command !== 'health') throw new UsageError('--wait is for health');
    if (!/^\d{1,4}$/.test(values.wait) || waitS > 3600) {
      throw new UsageError('--wait must be a whole number of seconds from 0 to 3600');
    }
  }
  return {
    command: command as Options['command'],
    tunnels,
    account: values.account,
    name: values.name,
    olderThan,
    validateOnly: values['validate-only'] === true,
    yes: values.yes === true,
    json: values.json === true,
    sandbox: values.sandbox === true,
    waitS,
    showConfig: values['show-config'] === true,
  };
}

const OPTIONS = {
  account: { type: 'string' },
  name: { type: 'string' },
  'older-than': { type: 'string' },
  'validate-only': { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  json: { type: 'boolean' },
  'show-config': { type: 'boolean' },
  sandbox: { type: 'boolean' },
  wait: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;
