// Builds what the package ships, so that what `npx` installs is honest: everything the code runs is inside it.
// - dist/cli.js (the MCP server), the binary: every dependency bundled (no runtime dependencies to install). The
//   sandbox's simulator, with its spec validation, is a separate chunk loaded only by --sandbox.
// - dist/index.js, the library: bundled too, except @modelcontextprotocol/server, @ipsec-psk/core and
//   @ipsec-psk/rotation, which a program embedding the server brings itself (optional peer dependencies).
// Declarations come from tsc (tsconfig.build.json, declarations only); the panel from scripts/build-view.mjs.
import { chmod } from 'node:fs/promises';
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

await build({
  ...common,
  entryPoints: { cli: 'src/cli.ts' },
  outdir: 'dist',
  // Chunks beside cli.js: the code finds the panel (dist/rotation-panel.html) next to itself.
  splitting: true,
  chunkNames: 'cli-[name]-[hash]',
  minify: true,
});
await chmod(`${packageDir}dist/cli.js`, 0o755);

await build({
  ...common,
  entryPoints: ['src/index.ts'],
  outfile: 'dist/index.js',
  external: ['@modelcontextprotocol/server', '@ipsec-psk/core', '@ipsec-psk/rotation'],
});
