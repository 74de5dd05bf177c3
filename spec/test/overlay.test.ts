import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
// @ts-expect-error: the tools are plain ES modules without declarations.
import { applyOverlay } from '../tools/overlay.mjs';

const SPEC = fileURLToPath(new URL('..', import.meta.url));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipsec-psk-overlay-'));
  for (const file of ['upstream', 'overlay.yaml', 'openapi.yaml'])
    await cp(join(SPEC, file), join(dir, file), { recursive: true });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const generate = () =>
  applyOverlay({
    extractPath: 'upstream/cloudflare.json',
    overlayPath: 'overlay.yaml',
    outputPath: 'openapi.yaml',
    cwd: dir,
  });

// Writing into a copy of spec/ (as spec:sync's tests do) once read and rewrote the repository's own openapi.yaml,
// relative to the process's directory instead of `cwd`, prepending a header to it each time.
it('writes the output under cwd and leaves every other openapi.yaml alone', async () => {
  const committed = await readFile(join(SPEC, 'openapi.yaml'), 'utf8');
  await rm(join(dir, 'openapi.yaml'));
  await generate();
  expect(await readFile(join(dir, 'openapi.yaml'), 'utf8')).toBe(committed);
  expect(await readFile(join(SPEC, 'openapi.yaml'), 'utf8')).toBe(committed);
});

// Two generates at once (turbo's build and typecheck pipelines in two terminals, say) once left openapi.yaml
// without its header, or with it twice: each read back the shared output the other was rewriting.
it('generates at the same time leave the committed output exactly, header once', async () => {
  const committed = await readFile(join(SPEC, 'openapi.yaml'), 'utf8');
  await Promise.all([generate(), generate(), generate()]);
  const written = await readFile(join(dir, 'openapi.yaml'), 'utf8');
  expect(written.match(/^# Generated/gm)).toHaveLength(1);
  expect(written).toBe(committed);
});
