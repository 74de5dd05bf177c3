import { basename, isAbsolute } from 'node:path';
import {
  FieldError,
  INTERFACE_RULE,
  LABEL_RULE,
  millisecondsAt,
  NAME_RULE,
  objectAt,
  optionalTextAt,
  textAt,
} from './config-fields.js';
import {
  CONFIG_PLATFORMS,
  type ConfigPlatform,
  type DeliveryTarget,
  type IkeIdentity,
} from './config-types.js';
import { parseIdentity } from './identities.js';

// One target of the delivery file, checked field by field before anything runs or any network call is made.

/** charon's own default socket. */
export const DEFAULT_VICI_SOCKET = 'unix:///var/run/charon.vici';
/** The default bound of a strongSwan delivery: load, terminate, initiate, check. */
export const DEFAULT_STRONGSWAN_TIMEOUT_MS = 15_000;
/** The default bound of a program. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;
// sun_path is 108 bytes on Linux, including the terminating NUL.
const MAX_SOCKET_PATH_BYTES = 107;
const MAX_ARGS = 64;

/** Checks a program before it may be named as a delivery target; says why not, or undefined. */
export type ProgramCheck = (path: string) => string | undefined;

function identityAt(value: unknown, field: string): IkeIdentity | undefined {
  const text = optionalTextAt(value, field, { maxLength: 253 });
  if (text === undefined) return undefined;
  const identity = parseIdentity(text);
  if (!identity) {
    throw new FieldError(field, 'must be an IP address, a host name, "fqdn:<host name>" or "keyid:<text>"');
  }
  return identity;
}

function socketAt(value: unknown, field: string): string {
  const uri = textAt(value ?? DEFAULT_VICI_SOCKET, field);
  if (!uri.startsWith('unix://')) throw new FieldError(field, 'must be a unix:///absolute/path URI');
  const path = uri.slice('unix://'.length);
  if (!isAbsolute(path)) throw new FieldError(field, 'must be a unix:///absolute/path URI');
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new FieldError(field, `must name a socket path of at most ${MAX_SOCKET_PATH_BYTES} bytes`);
  }
  return path;
}

function argvAt(value: unknown, field: string, checkProgram: ProgramCheck): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_ARGS) {
    throw new FieldError(
      field,
      `must be an array of 1 to ${MAX_ARGS} strings (the program, then its arguments)`,
    );
  }
  const argv = value.map((arg, index) => {
    if (typeof arg !== 'string' || arg.length > 4096 || arg.includes('\u0000')) {
      throw new FieldError(`${field}[${index}]`, 'must be a string of at most 4096 characters without NUL');
    }
    return arg;
  });
  const program = argv[0] ?? '';
  if (!isAbsolute(program))
    throw new FieldError(`${field}[0]`, 'must be an absolute path (no shell, no PATH)');
  const problem = checkProgram(program);
  if (problem) throw new FieldError(`${field}[0]`, problem);
  return argv;
}

/** Parses and checks one target; `field` is its path in the file. */
export function parseTarget(value: unknown, field: string, checkProgram: ProgramCheck): DeliveryTarget {
  const kind = objectAt(value, field, ['kind', ...KNOWN_FIELDS]).kind;
  if (kind === 'strongswan') {
    const target = objectAt(value, field, [
      'kind',
      'name',
      'socket',
      'connection',
      'child',
      'local_id',
      'remote_id',
      'key_id',
      'timeout_ms',
    ]);
    const connection = textAt(target.connection, `${field}.connection`, NAME_RULE);
    return {
      kind,
      label: optionalTextAt(target.name, `${field}.name`, LABEL_RULE) ?? `strongswan:${connection}`,
      socketPath: socketAt(target.socket, `${field}.socket`),
      connection,
      child: optionalTextAt(target.child, `${field}.child`, NAME_RULE) ?? connection,
      localId: identityAt(target.local_id, `${field}.local_id`),
      remoteId: identityAt(target.remote_id, `${field}.remote_id`),
      keyId: optionalTextAt(target.key_id, `${field}.key_id`, NAME_RULE),
      timeoutMs: millisecondsAt(target.timeout_ms, `${field}.timeout_ms`, DEFAULT_STRONGSWAN_TIMEOUT_MS),
    };
  }
  if (kind === 'command') {
    const target = objectAt(value, field, ['kind', 'name', 'argv', 'timeout_ms']);
    const argv = argvAt(target.argv, `${field}.argv`, checkProgram);
    const program = basename(argv[0] ?? '')
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .slice(0, 40);
    return {
      kind,
      label: optionalTextAt(target.name, `${field}.name`, LABEL_RULE) ?? `command:${program}`,
      argv,
      timeoutMs: millisecondsAt(target.timeout_ms, `${field}.timeout_ms`, DEFAULT_COMMAND_TIMEOUT_MS),
    };
  }
  if (kind === 'config') {
    const target = objectAt(value, field, ['kind', 'name', 'platform', 'local_id', 'wan_interface']);
    const platform = platformAt(target.platform, `${field}.platform`);
    return {
      kind,
      label: optionalTextAt(target.name, `${field}.name`, LABEL_RULE) ?? `config:${platform}`,
      platform,
      localId: identityAt(target.local_id, `${field}.local_id`),
      wanInterface: optionalTextAt(target.wan_interface, `${field}.wan_interface`, INTERFACE_RULE),
    };
  }
  throw new FieldError(`${field}.kind`, 'must be "strongswan", "command" or "config"');
}

/** Every field some kind of target has; each kind then allows only its own. */
const KNOWN_FIELDS = [
  'name',
  'socket',
  'connection',
  'child',
  'local_id',
  'remote_id',
  'key_id',
  'timeout_ms',
  'argv',
  'platform',
  'wan_interface',
];

/** A platform name of CONFIG_PLATFORMS. */
export function platformAt(value: unknown, field: string): ConfigPlatform {
  if (typeof value !== 'string' || !(CONFIG_PLATFORMS as readonly string[]).includes(value)) {
    throw new FieldError(field, `must be one of ${CONFIG_PLATFORMS.join(', ')}`);
  }
  return value as ConfigPlatform;
}
