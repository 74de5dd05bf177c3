// Builds what the package ships, so that what `npx` installs is honest: everything the code runs is inside it.
// - dist/cli.js (the MCP server) and dist/ipsec-psk.js (the command line), the binaries: every dependency bundled (no runtime dependencies to install). The sandbox's simulator,
//   with its spec validation, is a separate chunk loaded only by --sandbox.
// - dist/index.js, the library: bundled too, except @modelcontextprotocol/sdk and @ipsec-psk/core, which a program
//   embedding the server brings itself (optional peer dependencies: its client and its transports).
// Declarations come from tsc (tsconfig.build.json, declarations only); the panel from scripts/build-view.mjs.
import { chmod, readdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const common = {
  absWorkingDir: packageDir,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
  // Some bundled dependencies are CommonJS and require() Node built-ins; ESM has no require of its own.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
  },
};

// Chunk names carry hashes: drop the previous build's, or the package would ship them too.
for (const name of await readdir(`${packageDir}dist`).catch(() => [])) {
  if (/^cli.*\.js$/.test(name)) await rm(`${packageDir}dist/${name}`);
}

await build({
  ...common,
  // The two binaries share one build, so the code they share lives in shared chunks, once.
  entryPoints: { cli: 'src/cli.ts', 'ipsec-psk': 'src/terminal/main.ts' },
  outdir: 'dist',
  // Chunks beside cli.js: the code finds the panel (dist/rotation-panel.html) next to itself.
  splitting: true,
  chunkNames: 'cli-[name]-[hash]',
  minify: true,
});
await chmod(`${packageDir}dist/cli.js`, 0o755);
await chmod(`${packageDir}dist/ipsec-psk.js`, 0o755);

await build({
  ...common,
  entryPoints: ['src/index.ts'],
  outfile: 'dist/index.js',
  external: ['@modelcontextprotocol/sdk', '@ipsec-psk/core'],
});
