// Our fixes, as an OpenAPI Overlay (spec/overlay.yaml), applied by Redocly CLI (`bundle --overlay`), the tool the
// project already lints the spec with. Redocly applies an action whose target matches nothing silently, so each
// target is first evaluated here (RFC 9535 JSONPath, as Overlay specifies) against the upstream extract: an
// action that matches nothing means upstream fixed or moved what it fixes, and is reported.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { query } from 'jsonpath-rfc9535';
import { parse } from 'yaml';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const redoclyManifest = require.resolve('@redocly/cli/package.json');
const REDOCLY = join(
  dirname(redoclyManifest),
  JSON.parse(await readFile(redoclyManifest, 'utf8')).bin.redocly,
);

/** The overlay's actions with how many nodes of `document` each target selects. */
export async function checkOverlay(overlayPath, document) {
  const overlay = parse(await readFile(overlayPath, 'utf8'));
  return overlay.actions.map((action, index) => ({
    index,
    target: action.target,
    description: action.description ?? '',
    matches: query(document, action.target).length,
  }));
}

/**
 * Applies the overlay to the extract with Redocly CLI and writes the result, marked as generated. Redocly writes
 * into a directory of this call's own, and the output is replaced by a rename: two generates at once (two turbo
 * pipelines) each leave a whole file, never one's header on the other's half-written output.
 */
export async function applyOverlay({ extractPath, overlayPath, outputPath, cwd }) {
  const work = await mkdtemp(join(tmpdir(), 'ipsec-psk-overlay-'));
  try {
    const bundled = join(work, 'openapi.yaml');
    await run(
      process.execPath,
      [REDOCLY, 'bundle', extractPath, '--overlay', overlayPath, '--output', bundled],
      {
        cwd,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
    );
    const text = await readFile(bundled, 'utf8');
    const target = resolve(cwd, outputPath);
    const staged = `${target}.${process.pid}.${randomUUID()}.tmp`;
    await writeFile(
      staged,
      "# Generated: Cloudflare's official description of our operations (upstream/cloudflare.json) with our\n" +
        '# fixes (overlay.yaml) applied. Do not edit: change overlay.yaml and run `pnpm generate`; to follow\n' +
        "# Cloudflare's document, run `pnpm spec:sync <document>`.\n" +
        text,
    );
    await rename(staged, target);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
