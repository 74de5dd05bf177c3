// Emits the library as one ESM file. Node loads each ESM module separately (resolve, read, parse, link), and
// for a package of a dozen small modules that dominated the cold import; one file keeps it to a few ms.
// tsc still emits the declarations (tsconfig.build.json); openapi-fetch stays an ordinary dependency.
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
  external: ['openapi-fetch'],
  logLevel: 'warning',
});
