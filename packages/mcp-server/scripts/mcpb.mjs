// `pnpm bundle` (root) / `pnpm --filter @ipsec-psk/mcp-server mcpb`: builds the MCP Bundle,
// dist-mcpb/ipsec-psk-<version>.mcpb, from the built server (run `pnpm build` first; turbo does).
//
// The bundle is a staged directory, dist-mcpb/bundle/, packed with the official CLI (@anthropic-ai/mcpb):
// - manifest.json: mcpb/manifest.json as checked in (its version must be package.json's);
// - server/: the stdio server exactly as the package builds it, dist/cli.js and every chunk it imports, statically
//   or dynamically, followed from the built files themselves, and the MCP App panel (rotation-panel.html, read from
//   beside cli.js). Left out: the HTTP mode's chunks (--http, --new-token: the manifest starts the server on stdio,
//   and they are half the size), the library (index.js), declarations and maps;
// - server/package.json: {"type": "module"}, so Node loads the chunks as the ES modules they are;
// - LICENSE.
// Nothing is installed on the user's machine: the chunks carry every dependency (scripts/bundle.mjs).
// The CLI validates the manifest (`mcpb validate`), then packs (`mcpb pack`, which validates again).
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const distDir = join(packageDir, 'dist');
const outDir = join(packageDir, 'dist-mcpb');
const stageDir = join(outDir, 'bundle');

/** Dynamic imports of the HTTP mode (src/http/): chunks named after their entry files, never loaded on stdio. */
const HTTP_ONLY = /^cli-(run-http|bearer-tokens)-[A-Z0-9]+\.js$/;

function fail(message) {
  process.stderr.write(`mcpb: ${message}\n`);
  process.exit(1);
}

const pkg = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8'));
const manifest = JSON.parse(await readFile(join(packageDir, 'mcpb/manifest.json'), 'utf8'));
if (manifest.version !== pkg.version) {
  fail(`mcpb/manifest.json has version ${manifest.version}, package.json ${pkg.version}: make them equal.`);
}
if (!(await stat(join(distDir, 'cli.js')).catch(() => undefined))) {
  fail('dist/cli.js is missing: run `pnpm build` first.');
}

/** The files the stdio server loads, from cli.js through every import; HTTP-only chunks are left out. */
async function serverFiles() {
  const files = new Set();
  const skipped = new Set();
  const queue = ['cli.js'];
  while (queue.length > 0) {
    const file = queue.shift();
    if (files.has(file)) continue;
    files.add(file);
    const code = await readFile(join(distDir, file), 'utf8');
    for (const match of code.matchAll(/\b(?:from|import)\s*"\.\/([^"]+)"/g)) queue.push(match[1]);
    for (const match of code.matchAll(/\bimport\(\s*"\.\/([^"]+)"\s*\)/g)) {
      if (HTTP_ONLY.test(match[1])) skipped.add(match[1]);
      else queue.push(match[1]);
    }
  }
  // A renamed HTTP entry would silently put the HTTP mode back into the bundle; say so instead.
  if (skipped.size === 0) {
    fail(
      `no dynamic import of the HTTP mode matches ${HTTP_ONLY} in dist/: update HTTP_ONLY in scripts/mcpb.mjs.`,
    );
  }
  for (const file of skipped) {
    if (files.has(file)) fail(`${file} is imported statically: the stdio server needs it after all.`);
  }
  return { files: [...files].sort(), skipped: [...skipped].sort() };
}

const { files, skipped } = await serverFiles();
await rm(outDir, { recursive: true, force: true });
await mkdir(join(stageDir, 'server'), { recursive: true });
for (const file of [...files, 'rotation-panel.html']) {
  await copyFile(join(distDir, file), join(stageDir, 'server', file));
}
await writeFile(join(stageDir, 'server/package.json'), `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
await copyFile(join(packageDir, 'mcpb/manifest.json'), join(stageDir, 'manifest.json'));
await copyFile(join(packageDir, '../../LICENSE'), join(stageDir, 'LICENSE'));

// The official CLI, run with this Node (its bin is an ES module with a shebang).
// Its package.json is not exported: walk up from its main entry to find it.
let mcpbDir = dirname(createRequire(import.meta.url).resolve('@anthropic-ai/mcpb'));
while (!(await stat(join(mcpbDir, 'package.json')).catch(() => undefined))) mcpbDir = dirname(mcpbDir);
const mcpbCli = join(mcpbDir, JSON.parse(await readFile(join(mcpbDir, 'package.json'), 'utf8')).bin);
const mcpb = (...args) => execFileSync(process.execPath, [mcpbCli, ...args], { stdio: 'inherit' });

const output = join(outDir, `${manifest.name}-${manifest.version}.mcpb`);
mcpb('validate', join(stageDir, 'manifest.json'));
mcpb('pack', stageDir, output);

const { size } = await stat(output);
process.stdout.write(
  `\n${output}: ${(size / 1e6).toFixed(2)} MB; server/ holds ${files.length} script(s) and the panel; ` +
    `left out (HTTP mode): ${skipped.join(', ')}\n`,
);
