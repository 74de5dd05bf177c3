// The MCP Bundle's manifest (mcpb/manifest.json) and the MCP Registry's server.json, held to the server they
// describe: its version, its tools, the environment it reads. The built bundle itself runs in mcpb-bundle.e2e.test.ts.
import { readFileSync } from 'node:fs';
import { getMcpConfigForManifest, MANIFEST_SCHEMAS, type McpbManifestAny } from '@anthropic-ai/mcpb';
import { ConfigError } from '@ipsec-psk/rotation';
import { Ajv } from 'ajv';
import ajvFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig as loadConfig } from './server-config.js';
import { type Harness, startHarness } from './test-support/harness.js';
import type { ListedTool } from './test-support/tool-contract.js';

const read = (path: string) => JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
const pkg = read('../package.json');
const manifest = read('../mcpb/manifest.json');
const serverJson = read('../server.json');

interface UserConfigOption {
  type: string;
  description: string;
  sensitive?: boolean;
  required?: boolean;
  default?: unknown;
}
const userConfig = manifest.user_config as Record<string, UserConfigOption>;
const manifestEnv = manifest.server.mcp_config.env as Record<string, string>;

/** The user_config key a manifest value substitutes, if it is exactly one `${user_config.KEY}`. */
const userConfigKey = (value: string) => /^\$\{user_config\.([^}]+)\}$/.exec(value)?.[1];

/** What the host hands the server for these settings, computed by the MCPB library that Claude Desktop uses. */
async function launchEnv(values: Record<string, string>): Promise<Record<string, string>> {
  const config = await getMcpConfigForManifest({
    manifest: manifest as McpbManifestAny,
    extensionPath: '/bundle',
    systemDirs: { HOME: '/home/user' },
    userConfig: values,
    pathSeparator: '/',
  });
  return (config?.env ?? {}) as Record<string, string>;
}

describe('the MCP Bundle manifest', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.close());

  it('is valid for its manifest version, by the official library, and has the package version', () => {
    const schema = MANIFEST_SCHEMAS[manifest.manifest_version as keyof typeof MANIFEST_SCHEMAS];
    expect(schema, `manifest_version ${manifest.manifest_version}`).toBeDefined();
    const result = schema.safeParse(manifest);
    expect(result.error?.issues ?? []).toEqual([]);
    expect(manifest.version).toBe(pkg.version);
  });

  it("lists exactly the tools the server offers the model, with the server's descriptions", async () => {
    const { tools } = await harness.client.listTools();
    const forModel = (tools as ListedTool[])
      .filter((tool) => tool._meta?.ui?.visibility?.includes('model') ?? true)
      .map(({ name, description }) => ({ name, description }));
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect([...manifest.tools].sort(byName)).toEqual(forModel.sort(byName));
    // The panel's app-only tools are the server's too, but hosts never show them to the model.
    expect(manifest.tools_generated).toBe(false);
  });

  it('maps every setting onto an environment variable, and every optional one has a default', () => {
    const mapped = Object.values(manifestEnv).map(userConfigKey);
    expect(mapped.every((key) => key !== undefined)).toBe(true);
    expect(mapped.sort()).toEqual(Object.keys(userConfig).sort());
    for (const [key, option] of Object.entries(userConfig)) {
      // Without a default, a field the user leaves alone would reach the server as the literal "${user_config.…}".
      expect({ key, default: typeof option.default }).toEqual({ key, default: 'string' });
      expect(option.required ?? false).toBe(false);
    }
    expect(userConfig.psk_dir?.type).toBe('directory');
  });

  it('keeps the API token and the Global API key in the keychain, and nothing else', () => {
    const sensitive = Object.entries(manifestEnv)
      .filter(([, value]) => userConfig[userConfigKey(value) ?? '']?.sensitive === true)
      .map(([name]) => name);
    expect(sensitive.sort()).toEqual(['CLOUDFLARE_API_KEY', 'CLOUDFLARE_API_TOKEN']);
  });

  it('starts the server with only a token filled in: the settings left empty mean "default"', async () => {
    const env = await launchEnv({ cloudflare_api_token: 'a-token' });
    expect(JSON.stringify(env)).not.toContain('${');
    const config = loadConfig(env, { sandbox: false });
    expect(config.clientOptions).toMatchObject({ apiToken: 'a-token' });
    expect(config.defaultAccountId).toBeUndefined();
    expect(config.confirmMode).toBe('auto');
    expect(config.pskDir).toBe(loadConfig({ CLOUDFLARE_API_TOKEN: 'a-token' }, { sandbox: false }).pskDir);
  });

  it('starts the server with an email and Global API key instead of a token', async () => {
    const env = await launchEnv({ cloudflare_email: 'ops@example.com', cloudflare_api_key: 'a-key' });
    expect(loadConfig(env, { sandbox: false }).clientOptions).toMatchObject({
      apiEmail: 'ops@example.com',
      apiKey: 'a-key',
    });
  });

  it('refuses to start with no credential, naming the setting', async () => {
    const env = await launchEnv({});
    expect(() => loadConfig(env, { sandbox: false })).toThrow(ConfigError);
    expect(() => loadConfig(env, { sandbox: false })).toThrow(/CLOUDFLARE_API_TOKEN/);
  });

  it('offers every confirmation mode the server knows as the confirmation setting', async () => {
    for (const mode of ['auto', 'human', 'elicit', 'app', 'token']) {
      expect(userConfig.confirm_mode?.description).toContain(mode);
      const env = await launchEnv({ cloudflare_api_token: 't', confirm_mode: mode });
      expect(loadConfig(env, { sandbox: false }).confirmMode).toBe(mode);
    }
  });
});

describe('server.json for the MCP Registry', () => {
  it("is valid against the registry's documented format (registry/server-json.schema.json)", () => {
    const schema = read('../registry/server-json.schema.json');
    expect(serverJson.$schema).toBe(schema.properties.$schema.const);
    const ajv = new Ajv({ allErrors: true, strict: true });
    ajvFormats.default(ajv);
    const validate = ajv.compile(schema);
    validate(serverJson);
    expect(validate.errors ?? []).toEqual([]);
    // The validator does check: each documented rule fails a copy that breaks it.
    expect(validate({ ...serverJson, description: 'x'.repeat(101) })).toBe(false);
    expect(validate({ ...serverJson, name: 'no-slash' })).toBe(false);
    expect(validate({ ...serverJson, version: '^0.1.0' })).toBe(false);
    const [npm] = serverJson.packages;
    expect(validate({ ...serverJson, packages: [{ ...npm, version: 'latest' }] })).toBe(false);
    expect(validate({ ...serverJson, packages: [{ ...npm, transport: { type: 'pigeon' } }] })).toBe(false);
    const [variable] = npm.environmentVariables;
    expect(
      validate({
        ...serverJson,
        packages: [{ ...npm, environmentVariables: [{ ...variable, isSecret: 'yes' }] }],
      }),
    ).toBe(false);
  });

  it('names the npm package, its version and its mcpName, as the registry checks', () => {
    expect(serverJson.name).toBe(pkg.mcpName);
    expect(serverJson.version).toBe(pkg.version);
    expect(serverJson.packages).toHaveLength(1);
    expect(serverJson.packages[0]).toMatchObject({
      registryType: 'npm',
      registryBaseUrl: 'https://registry.npmjs.org',
      identifier: pkg.name,
      version: pkg.version,
      transport: { type: 'stdio' },
    });
  });

  it('declares the same environment as the bundle, secret where the bundle keeps it in the keychain', () => {
    const variables = serverJson.packages[0].environmentVariables as {
      name: string;
      isSecret: boolean;
      isRequired: boolean;
      choices?: string[];
    }[];
    expect(variables.map((variable) => variable.name).sort()).toEqual(Object.keys(manifestEnv).sort());
    for (const variable of variables) {
      const option = userConfig[userConfigKey(manifestEnv[variable.name] ?? '') ?? ''];
      expect({ name: variable.name, isSecret: variable.isSecret }).toEqual({
        name: variable.name,
        isSecret: option?.sensitive === true,
      });
    }
    // The token is the way the server is meant to be configured; the Global API key is the exception.
    expect(variables.filter((variable) => variable.isRequired).map((variable) => variable.name)).toEqual([
      'CLOUDFLARE_API_TOKEN',
    ]);
    expect(variables.find((variable) => variable.name === 'IPSEC_PSK_CONFIRM')?.choices).toEqual([
      'auto',
      'human',
      'elicit',
      'app',
      'token',
    ]);
  });
});
