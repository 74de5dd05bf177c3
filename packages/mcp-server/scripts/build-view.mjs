// Builds the confirmation panel into one self-contained HTML file (dist/rotation-panel.html): the script bundled
// with the MCP Apps client it uses, the styles inlined, nothing loaded from the network.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const source = (name) => readFile(`${packageDir}src/view/${name}`, 'utf8');

// zod re-exports every translation of its messages as a namespace, which bundlers cannot drop (half the panel's
// size); the panel only ever needs zod's default, English.
const englishOnly = {
  name: 'zod-english-only',
  setup(builder) {
    builder.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      resolveDir: dirname(args.path),
    }));
  },
};

const bundled = await build({
  absWorkingDir: packageDir,
  entryPoints: ['src/view/panel.ts'],
  bundle: true,
  write: false,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  tsconfig: 'tsconfig.view.json',
  plugins: [englishOnly],
  logLevel: 'warning',
});
const script = bundled.outputFiles[0].text;
// Inline content must not end its own element early.
if (script.includes('</script')) throw new Error('the panel script contains </script');

const [template, css] = await Promise.all([source('panel.html'), source('panel.css')]);
const html = template
  .replace('/* STYLE */', () => css)
  .replace(/<script>\s*\/\* SCRIPT \*\/\s*<\/script>/, () => `<script type="module">${script}</script>`);
await mkdir(`${packageDir}dist`, { recursive: true });
await writeFile(`${packageDir}dist/rotation-panel.html`, html);
