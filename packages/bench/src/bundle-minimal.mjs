// Our MCP binary ships as one esbuild bundle (packages/mcp-server/scripts/bundle-cli.mjs), which mostly saves
// module loading at start-up. To tell what the bundle buys from what our code costs, figure 4a also starts the
// minimal server bundled with the same esbuild options. Built into a temporary directory on each run.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const MINIMAL = fileURLToPath(new URL('./fixtures/minimal-server.mjs', import.meta.url));

export async function bundleMinimalServer() {
  const dir = await mkdtemp(join(tmpdir(), 'ipsec-psk-bench-bundle-'));
  const outfile = join(dir, 'minimal-server.mjs');
  await build({
    entryPoints: [MINIMAL],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    // As in our bundle: CommonJS dependencies require() Node built-ins, and ESM has no require of its own.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  return { path: outfile, dispose: () => rm(dir, { recursive: true, force: true }) };
}
