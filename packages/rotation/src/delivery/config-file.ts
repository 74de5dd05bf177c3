import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { isIdentifier } from '@ipsec-psk/core';
import { ConfigError, setting } from '../config.js';
import { errorCode } from '../error-code.js';
import { readTrustedFile, trustProblem } from '../store/trust.js';
import { FieldError, namePattern, objectAt, optionalTextAt, textAt } from './config-fields.js';
import { type ProgramCheck, parseTarget, platformAt } from './config-targets.js';
import type { DeliveryConfig, DeliveryRule } from './config-types.js';

/** The setting that names the delivery file. */
export const DELIVERY_SETTING = 'IPSEC_PSK_DELIVERY';
/** A delivery file is a few rules; anything larger is a mistake. */
const MAX_FILE_BYTES = 1024 * 1024;
const MAX_RULES = 10_000;

function fail(rule: string): never {
  throw new ConfigError(DELIVERY_SETTING, `${DELIVERY_SETTING}: ${rule}.`);
}

/**
 * The program of a command target: its real file (after symlinks, which system programs often are) must be a
 * regular, executable file owned by this user or root and writable by nobody else, in a directory nobody else can
 * write to: otherwise another user could change what runs with the key.
 */
export const checkProgram: ProgramCheck = (path) => {
  let real: string;
  try {
    real = realpathSync(path);
    accessSync(real, constants.X_OK);
  } catch (error) {
    return `cannot be run (${errorCode(error)})`;
  }
  const file = trustProblem(real, statSync(real), 'file', 'self-or-root');
  if (file) return `(${real}) ${file}`;
  const dir = trustProblem(dirname(real), statSync(dirname(real)), 'directory', 'self-or-root');
  return dir ? `(${dirname(real)}) ${dir}` : undefined;
};

function ruleAt(value: unknown, field: string, check: ProgramCheck): DeliveryRule {
  const rule = objectAt(value, field, ['id', 'name', 'target']);
  if ((rule.id === undefined) === (rule.name === undefined)) {
    throw new FieldError(
      field,
      'must have exactly one of "id" (a tunnel id) or "name" (a tunnel-name pattern)',
    );
  }
  const target = parseTarget(rule.target, `${field}.target`, check);
  if (rule.id !== undefined) {
    const id = textAt(rule.id, `${field}.id`);
    if (!isIdentifier(id))
      throw new FieldError(`${field}.id`, 'must be a tunnel id (up to 32 letters and digits)');
    return { match: { tunnelId: id.toLowerCase() }, target };
  }
  const pattern = textAt(rule.name, `${field}.name`, { maxLength: 200 });
  namePattern(pattern);
  return { match: { namePattern: pattern }, target };
}

/**
 * Parses and checks the delivery file's text. Throws `ConfigError` naming IPSEC_PSK_DELIVERY, the field and the
 * rule it breaks.
 */
export function parseDeliveryConfig(
  text: string,
  source: string,
  check: ProgramCheck = checkProgram,
): DeliveryConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the error; the rule is enough.
    fail(`${source} is not valid JSON`);
  }
  try {
    const root = objectAt(json, '(the file)', ['$comment', 'default', 'tunnels', 'manual_config']);
    optionalTextAt(root.$comment, '$comment', { maxLength: 10_000 });
    const tunnels = root.tunnels ?? [];
    if (!Array.isArray(tunnels) || tunnels.length > MAX_RULES) {
      throw new FieldError('tunnels', `must be an array of at most ${MAX_RULES} rules`);
    }
    return {
      source,
      rules: tunnels.map((rule, index) => ruleAt(rule, `tunnels[${index}]`, check)),
      defaultTarget: root.default === undefined ? undefined : parseTarget(root.default, 'default', check),
      manualConfig:
        root.manual_config === undefined ? undefined : platformAt(root.manual_config, 'manual_config'),
    };
  } catch (error) {
    if (error instanceof FieldError) fail(`${error.field} ${error.rule}`);
    throw error;
  }
}

/**
 * The delivery configuration IPSEC_PSK_DELIVERY names, checked; undefined when it is not set (then nothing is
 * delivered and results carry no `delivery`). Reads the file synchronously: it is a start-up check.
 */
export function loadDeliveryConfig(env: Record<string, string | undefined>): DeliveryConfig | undefined {
  const path = setting(env, DELIVERY_SETTING);
  if (path === undefined) return undefined;
  // The file says where keys go and what runs with them: the same rules as the key directory.
  return parseDeliveryConfig(
    readTrustedFile(path, DELIVERY_SETTING, { maxBytes: MAX_FILE_BYTES, what: 'the delivery file' }),
    path,
  );
}
