// Bundles the binary into one file. Start-up of an MCP server is dominated by loading modules (the SDK and zod
// are hundreds of files); one pre-linked file starts in well under the time of the unbundled tree.
// The library entry (dist/index.js) stays unbundled for people who import it.
import { chmod } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const outfile = `${packageDir}dist/cli.js`;

await build({
  absWorkingDir: packageDir,
  entryPoints: ['src/cli.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  sourcemap: 'linked',
  // Loaded only by --sandbox, through a dynamic import, so normal start-up never pays for it.
  external: ['@ipsec-psk/cloudflare-sim'],
  // Some bundled dependencies are CommonJS and require() Node built-ins; ESM has no require of its own.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
await chmod(outfile, 0o755);
