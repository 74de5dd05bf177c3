import { chmod, chown, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../config.js';
import { loadDeliveryConfig, parseDeliveryConfig } from './config-file.js';
import { selectTarget } from './select-target.js';

const ID = 'c4a7362d577a6c3019a474fd6f485823';
const noProgramCheck = () => undefined;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipsec-psk-delivery-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function parse(json: unknown) {
  return parseDeliveryConfig(JSON.stringify(json), '/etc/delivery.json', noProgramCheck);
}

function refusal(json: unknown): string {
  try {
    parse(json);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).setting).toBe('IPSEC_PSK_DELIVERY');
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('the delivery file', () => {
  it('reads every kind of target, with defaults', () => {
    const config = parse({
      default: { kind: 'config', platform: 'junos' },
      manual_config: 'strongswan',
      tunnels: [
        { id: ID.toUpperCase(), target: { kind: 'strongswan', connection: 'cf-1', local_id: 'keyid:1_abc' } },
        { name: 'fra-*', target: { kind: 'command', argv: ['/bin/true', '--site', 'fra'], timeout_ms: 500 } },
        {
          name: 'ams-??',
          target: {
            kind: 'strongswan',
            name: 'ams',
            socket: 'unix:///run/x.vici',
            connection: 'c',
            child: 'k',
          },
        },
      ],
    });
    expect(config.manualConfig).toBe('strongswan');
    expect(config.defaultTarget).toEqual({
      kind: 'config',
      label: 'config:junos',
      platform: 'junos',
      localId: undefined,
      wanInterface: undefined,
    });
    expect(config.rules[0]).toEqual({
      match: { tunnelId: ID },
      target: {
        kind: 'strongswan',
        label: 'strongswan:cf-1',
        socketPath: '/var/run/charon.vici',
        connection: 'cf-1',
        child: 'cf-1',
        localId: { type: 'keyid', value: '1_abc' },
        remoteId: undefined,
        keyId: undefined,
        timeoutMs: 15_000,
      },
    });
    expect(config.rules[1]?.target).toMatchObject({ label: 'command:true', timeoutMs: 500 });
    expect(config.rules[2]?.target).toMatchObject({ label: 'ams', socketPath: '/run/x.vici', child: 'k' });
  });

  it.each([
    [{ tunnels: {} }, /tunnels must be an array/],
    [{ tunnel: [] }, /\(the file\)\.tunnel is not a known field/],
    [
      { tunnels: [{ target: { kind: 'config', platform: 'vyos' } }] },
      /tunnels\[0\] must have exactly one of "id"/,
    ],
    [{ tunnels: [{ id: 'x y', target: {} }] }, /tunnels\[0\]\.target\.kind must be "strongswan"/],
    [
      { tunnels: [{ id: 'not an id!', target: { kind: 'config', platform: 'vyos' } }] },
      /tunnels\[0\]\.id must be a tunnel id/,
    ],
    [
      { default: { kind: 'command', argv: ['relative/prog'] } },
      /default\.argv\[0\] must be an absolute path/,
    ],
    [{ default: { kind: 'command', argv: [] } }, /default\.argv must be an array of 1 to 64/],
    [
      { default: { kind: 'command', argv: ['/bin/true'], timeout_ms: 10 } },
      /default\.timeout_ms must be a whole number/,
    ],
    [
      { default: { kind: 'strongswan', connection: 'c', socket: '/run/charon.vici' } },
      /default\.socket must be a unix:\/\/\/absolute\/path URI/,
    ],
    [
      { default: { kind: 'strongswan', connection: 'c; rm -rf /' } },
      /default\.connection must be 1 to 64 letters/,
    ],
    [
      { default: { kind: 'strongswan', connection: 'c', local_id: 'email:x@y' } },
      /default\.local_id must be an IP address/,
    ],
    [
      { default: { kind: 'strongswan', connection: 'c', argv: ['/bin/true'] } },
      /default\.argv is not a known field/,
    ],
    [
      { default: { kind: 'config', platform: 'windows' } },
      /default\.platform must be one of strongswan, vyos/,
    ],
    [{ manual_config: 'x' }, /manual_config must be one of/],
    [
      { default: { kind: 'config', platform: 'vyos', wan_interface: 'eth0\nset x' } },
      /must not contain control characters/,
    ],
  ])('refuses %j, naming the setting, the field and the rule', (json, message) => {
    const text = refusal(json);
    expect(text).toMatch(/^IPSEC_PSK_DELIVERY: /);
    expect(text).toMatch(message);
  });

  it('names the field, not the value, of a bad socket path', () => {
    const text = refusal({
      default: { kind: 'strongswan', connection: 'c', socket: `unix:///${'s'.repeat(120)}` },
    });
    expect(text).toMatch(/default\.socket must name a socket path of at most 107 bytes/);
    expect(text).not.toContain('sssss');
  });

  it('reads the example in the delivery guide as written', async () => {
    const guide = await readFile(new URL('../../../../docs/guide/08-delivery.md', import.meta.url), 'utf8');
    const example = /```json\n([\s\S]*?)\n```/.exec(guide)?.[1] ?? '';
    const config = parseDeliveryConfig(example, 'docs/guide/08-delivery.md', noProgramCheck);
    expect(config.rules.map((rule) => rule.target.label)).toEqual([
      'strongswan:cf-fra-1',
      'command:push-psk',
      'config:junos',
    ]);
    expect(config).toMatchObject({ manualConfig: 'vyos', defaultTarget: { platform: 'strongswan' } });
  });

  it('says the file is not JSON without quoting it', () => {
    expect(() => parseDeliveryConfig('{"secret-ish": ', '/x.json')).toThrow(
      /^IPSEC_PSK_DELIVERY: \/x.json is not valid JSON\.$/,
    );
  });
});

describe('loadDeliveryConfig: the trust rules of the key directory', () => {
  const file = () => join(dir, 'delivery.json');
  const write = (json: unknown, mode = 0o600) => writeFile(file(), JSON.stringify(json), { mode });

  it('is undefined when IPSEC_PSK_DELIVERY is not set, and reads a private file', async () => {
    expect(loadDeliveryConfig({})).toBeUndefined();
    await write({ default: { kind: 'command', argv: ['/bin/true'] } });
    expect(loadDeliveryConfig({ IPSEC_PSK_DELIVERY: file() })?.defaultTarget).toMatchObject({
      label: 'command:true',
    });
  });

  it.each([
    ['a relative path', async () => 'delivery.json', /must be an absolute path/],
    ['a missing file', async () => join(dir, 'nope.json'), /nope\.json cannot be read \(ENOENT\)/],
    [
      'a group-writable file',
      async () => {
        await write({});
        await chmod(file(), 0o620);
        return file();
      },
      /delivery\.json is writable by other users \(mode 0620\); run: chmod go-w/,
    ],
    [
      'a symlink',
      async () => {
        await write({});
        await symlink(file(), join(dir, 'link.json'));
        return join(dir, 'link.json');
      },
      /link\.json is a symbolic link; it is never followed/,
    ],
    [
      "another user's file",
      async () => {
        await write({});
        await chown(file(), 65534, 65534);
        return file();
      },
      /is owned by another user \(uid 65534/,
    ],
    [
      'a world-writable directory',
      async () => {
        await mkdir(join(dir, 'open'));
        await chmod(join(dir, 'open'), 0o777);
        await writeFile(join(dir, 'open', 'd.json'), '{}', { mode: 0o600 });
        return join(dir, 'open', 'd.json');
      },
      /open \(the delivery file's directory\) is writable by other users/,
    ],
  ])('stops start-up for %s with one line naming the setting and the rule', async (_what, make, message) => {
    if (process.getuid?.() !== 0 && _what === "another user's file") return;
    const path = await make();
    expect(() => loadDeliveryConfig({ IPSEC_PSK_DELIVERY: path })).toThrow(ConfigError);
    expect(() => loadDeliveryConfig({ IPSEC_PSK_DELIVERY: path })).toThrow(message);
  });

  it('refuses a program another user could change, or one that cannot run', async () => {
    const program = join(dir, 'push.sh');
    await writeFile(program, '#!/bin/sh\nexit 0\n', { mode: 0o700 });
    await write({ default: { kind: 'command', argv: [program] } });
    expect(loadDeliveryConfig({ IPSEC_PSK_DELIVERY: file() })?.defaultTarget).toMatchObject({
      kind: 'command',
    });
    await chmod(program, 0o722);
    expect(() => loadDeliveryConfig({ IPSEC_PSK_DELIVERY: file() })).toThrow(
      /default\.argv\[0\] \(.*push\.sh\) is writable by other users \(mode 0722\)/,
    );
    await chmod(program, 0o600);
    expect(() => loadDeliveryConfig({ IPSEC_PSK_DELIVERY: file() })).toThrow(
      /default\.argv\[0\] cannot be run \(EACCES\)/,
    );
  });
});

describe('selectTarget', () => {
  const config = parse({
    default: { kind: 'config', platform: 'vyos' },
    tunnels: [
      { name: 'fra-*', target: { kind: 'config', platform: 'junos', name: 'fra' } },
      { id: ID, target: { kind: 'config', platform: 'panos', name: 'by-id' } },
    ],
  });
  const label = (id: string, name: string | undefined) => {
    const selection = selectTarget(config, id, name);
    return 'target' in selection ? selection.target.label : selection.none;
  };

  it('takes the first matching rule (by name as shown, or by id), else the default', () => {
    expect(label(ID, 'fra-edge-01')).toBe('fra');
    expect(label(ID.toUpperCase(), 'ams-01')).toBe('by-id');
    expect(label('a'.repeat(32), 'ams-01')).toBe('config:vyos');
    // A name with control characters is matched as `ipsec-psk list` shows it, neutralised.
    expect(label('a'.repeat(32), 'fra-\u001b[31medge')).toBe('fra');
  });

  it('chooses nothing when the name is unknown and a name rule might have matched', () => {
    expect(label('a'.repeat(32), undefined)).toMatch(/name is not known/);
    const none = parse({ tunnels: [{ id: ID, target: { kind: 'config', platform: 'vyos' } }] });
    const selection = selectTarget(none, 'a'.repeat(32), 'x');
    expect(selection).toEqual({
      none: 'no target in /etc/delivery.json matches this tunnel, and it has no default',
    });
  });
});
