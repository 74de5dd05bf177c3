// Emits the library as one ESM file. Node loads each ESM module separately (resolve, read, parse, link), and
// for a package of a dozen small modules that dominated the cold import; one file keeps it to a few ms.
// openapi-fetch's code is inlined as well (it halved the import again: ~9 ms to ~4 ms). It stays a dependency,
// pinned to one version, because the declarations tsc emits (tsconfig.build.json) use its types.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

await build({
  absWorkingDir: fileURLToPath(new URL('..', import.meta.url)),
  entryPoints: ['src/index.ts'],
  outfile: 'dist/index.js',
  bundle: true,
  platform: 'neutral',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});
