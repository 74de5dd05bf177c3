// Builds the binary, dist/ipsec-psk.js, with every dependency bundled: what `npx` installs is this file and
// nothing else. The sandbox's simulator, with its spec validation, is a separate chunk loaded only by --sandbox.
import { chmod } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

await build({
  absWorkingDir: packageDir,
  entryPoints: { 'ipsec-psk': 'src/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  chunkNames: 'ipsec-psk-[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  // Some bundled dependencies are CommonJS and require() Node built-ins; ESM has no require of its own.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
  },
});
await chmod(`${packageDir}dist/ipsec-psk.js`, 0o755);
