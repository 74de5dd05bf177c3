// The built MCP Bundle (dist-mcpb/ipsec-psk-<version>.mcpb, `pnpm bundle`; turbo builds it before these tests)
// unpacked into a temporary directory far from this repository's node_modules, and started exactly as its
// manifest says, with the host's substitutions computed by the MCPB library Claude Desktop uses: proof that
// the bundle runs with nothing but Node.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { getMcpConfigForManifest, type McpbManifestAny, unpackExtension } from '@anthropic-ai/mcpb';
import { DEMO_ACCOUNT_ID, DEMO_TUNNEL_ID, type Simulator, startSimulator } from '@ipsec-psk/cloudflare-sim';
import type { RotationOutput } from '@ipsec-psk/rotation';
import { Captured } from '@ipsec-psk/rotation/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectToolContract, type ListedTool } from './test-support/tool-contract.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(await readFile(join(PACKAGE_DIR, 'package.json'), 'utf8'));
const BUNDLE = join(PACKAGE_DIR, `dist-mcpb/ipsec-psk-${pkg.version}.mcpb`);
const TOKEN = 'sample-user-config-token';
const TIMEOUT = { timeout: 30_000 };

/** Builds the bundle when it is missing or older than the build (a test run without turbo). */
async function ensureBundle(): Promise<void> {
  const built = await stat(BUNDLE).catch(() => undefined);
  const inputs = await Promise.all(
    ['dist/cli.js', 'mcpb/manifest.json'].map((path) => stat(join(PACKAGE_DIR, path))),
  );
  if (built && inputs.every((input) => input.mtimeMs <= built.mtimeMs)) return;
  await promisify(execFile)(process.execPath, [join(PACKAGE_DIR, 'scripts/mcpb.mjs')], {
    cwd: PACKAGE_DIR,
    timeout: 120_000,
  });
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

let bundleDir: string;
let manifest: McpbManifestAny & { tools: { name: string; description: string }[] };
let sim: Simulator;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  await ensureBundle();
  // The temporary directory has no node_modules above it: Node can resolve nothing the bundle does not carry.
  bundleDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-mcpb-'));
  expect(await unpackExtension({ mcpbPath: BUNDLE, outputDir: bundleDir, silent: true })).toBe(true);
  manifest = JSON.parse(await readFile(join(bundleDir, 'manifest.json'), 'utf8'));
  sim = await startSimulator({ apiTokens: [TOKEN] });
}, 150_000);

afterAll(async () => {
  await sim?.close();
  if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ipsec-psk-mcpb-run-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The command, arguments and environment a host derives from the manifest and these settings. */
async function launch(userConfig: Record<string, string>) {
  const config = await getMcpConfigForManifest({
    manifest,
    extensionPath: bundleDir,
    systemDirs: { HOME: tmpdir() },
    userConfig,
    pathSeparator: sep,
  });
  if (!config) throw new Error('the host would not start the server with these settings');
  return {
    command: config.command,
    args: config.args ?? [],
    env: (config.env ?? {}) as Record<string, string>,
  };
}

/** Starts the unpacked server as a host does: stdio, the host's environment plus the manifest's, any cwd. */
async function start(options: { args: string[]; env: Record<string, string>; extraArgs?: string[] }) {
  const transport = new StdioClientTransport({
    // "node" is the host's Node; here, the one running the tests.
    command: process.execPath,
    args: [...options.args, ...(options.extraArgs ?? [])],
    env: options.env,
    cwd: await tempDir(),
    stderr: 'pipe',
  });
  const stderr = new Captured(transport.stderr);
  const client = new Client({ name: 'mcpb-host-test', version: '1.0.0' });
  await client.connect(transport);
  cleanups.push(() => client.close());
  await stderr.waitFor(/ready/);
  return { client, stderr };
}

describe('the built MCP Bundle', () => {
  it('holds the manifest, the license and the stdio server, and nothing else', async () => {
    const files = await listFiles(bundleDir);
    expect(files.filter((file) => !/^server\/cli-[\w-]+\.js$/.test(file))).toEqual([
      'LICENSE',
      'manifest.json',
      'server/cli.js',
      'server/package.json',
      'server/rotation-panel.html',
    ]);
    // No sources, maps, declarations, dependencies, command line, library or HTTP mode.
    expect(files.join('\n')).not.toMatch(
      /\.(ts|map)$|node_modules|ipsec-psk\.js|index\.js|run-http|bearer-tokens/m,
    );
    expect(JSON.parse(await readFile(join(bundleDir, 'server/package.json'), 'utf8'))).toEqual({
      type: 'module',
    });
    const checkedIn = JSON.parse(await readFile(join(PACKAGE_DIR, 'mcpb/manifest.json'), 'utf8'));
    expect(manifest).toEqual(checkedIn);
    expect(manifest.version).toBe(pkg.version);
  });

  it(
    'runs as the manifest says with sample settings: tools/list and a validate-only call reach the API',
    TIMEOUT,
    async () => {
      const pskDir = await tempDir();
      const { command, args, env } = await launch({
        cloudflare_api_token: TOKEN,
        cloudflare_account_id: DEMO_ACCOUNT_ID,
        psk_dir: pskDir,
        confirm_mode: 'human',
      });
      expect(command).toBe('node');
      expect(args).toEqual([`${bundleDir}/server/cli.js`]);
      expect(env).toEqual({
        CLOUDFLARE_API_TOKEN: TOKEN,
        CLOUDFLARE_EMAIL: '',
        CLOUDFLARE_API_KEY: '',
        CLOUDFLARE_ACCOUNT_ID: DEMO_ACCOUNT_ID,
        IPSEC_PSK_DIR: pskDir,
        IPSEC_PSK_CONFIRM: 'human',
      });

      // The manifest has no sandbox switch: the API is the local simulator, on loopback, instead of Cloudflare.
      const { client, stderr } = await start({ args, env: { ...env, CLOUDFLARE_BASE_URL: sim.url } });
      expect(stderr.text).toContain(`ready; confirmation mode human; keys go to ${pskDir}`);

      const { tools } = await client.listTools();
      expectToolContract(tools as ListedTool[]);
      const forModel = (tools as ListedTool[]).filter(
        (tool) => tool._meta?.ui?.visibility?.includes('model') ?? true,
      );
      const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
      expect(forModel.map(({ name, description }) => ({ name, description })).sort(byName)).toEqual(
        [...manifest.tools].sort(byName),
      );

      const before = sim.requests.length;
      const result = await client.callTool({
        name: 'generate_ipsec_psk',
        arguments: { ipsec_tunnel_id: DEMO_TUNNEL_ID, validate_only: true },
      });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent as unknown as RotationOutput).toMatchObject({
        status: 'validated',
        sandbox: false,
        account_id: DEMO_ACCOUNT_ID, // the default account from the settings
        ipsec_tunnel_id: DEMO_TUNNEL_ID,
      });
      const sent = sim.requests.slice(before);
      expect(sent.length).toBeGreaterThan(0);
      for (const request of sent) expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(sim.count({ operation: 'psk_generate', validateOnly: false })).toBe(0);

      // The MCP App panel is inside the bundle, beside the server.
      const panel = await client.readResource({ uri: 'ui://ipsec-psk/rotation-panel.html' });
      expect(JSON.stringify(panel.contents)).toContain('<html');
    },
  );

  it(
    'runs with only the token filled in: every setting left empty takes the server default',
    TIMEOUT,
    async () => {
      const home = await tempDir();
      const { args, env } = await launch({ cloudflare_api_token: TOKEN });
      const { client, stderr } = await start({
        args,
        env: { ...env, CLOUDFLARE_BASE_URL: sim.url, HOME: home },
      });
      // The per-user data directory, under this (temporary) home.
      expect(stderr.text).toMatch(/ready; confirmation mode auto; keys go to (.+)/);
      expect(/keys go to (.+)/.exec(stderr.text)?.[1]?.startsWith(home)).toBe(true);
      const result = await client.callTool({
        name: 'list_ipsec_tunnels',
        arguments: { account_id: DEMO_ACCOUNT_ID },
      });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ account_id: DEMO_ACCOUNT_ID, total: 2 });
    },
  );

  it(
    'runs in sandbox mode from the bundle too (--sandbox: the simulator chunk is inside)',
    TIMEOUT,
    async () => {
      const { args, env } = await launch({ psk_dir: await tempDir() });
      const { client } = await start({ args, env, extraArgs: ['--sandbox'] });
      const result = await client.callTool({
        name: 'generate_ipsec_psk',
        arguments: { ipsec_tunnel_id: DEMO_TUNNEL_ID, validate_only: true },
      });
      expect(result.structuredContent).toMatchObject({ status: 'validated', sandbox: true });
    },
  );

  it(
    'stops at start-up with one line naming the missing credential when no setting is filled in',
    TIMEOUT,
    async () => {
      const { args, env } = await launch({ psk_dir: await tempDir() });
      const run = promisify(execFile)(process.execPath, args, { env, cwd: await tempDir(), timeout: 20_000 });
      const failure = await run.then(
        () => undefined,
        (error: { code?: number; stderr?: string }) => error,
      );
      expect(failure?.code).toBe(1);
      expect(failure?.stderr?.trim().split('\n')).toHaveLength(1);
      expect(failure?.stderr).toMatch(/CLOUDFLARE_API_TOKEN/);
    },
  );
});
