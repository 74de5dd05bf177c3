// `pnpm generate` for the spec: upstream extract + overlay → openapi.yaml. Stops when an overlay action matches
// nothing, so a fix can never be dropped silently.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyOverlay, checkOverlay } from './overlay.mjs';
import { EXTRACT, OUTPUT, OVERLAY, SPEC_DIR } from './paths.mjs';

const extract = JSON.parse(await readFile(join(SPEC_DIR, EXTRACT), 'utf8'));
const unmatched = (await checkOverlay(join(SPEC_DIR, OVERLAY), extract)).filter(
  (action) => action.matches === 0,
);
if (unmatched.length > 0) {
  for (const action of unmatched) {
    console.error(
      `overlay action ${action.index + 1} matches nothing in ${EXTRACT}: ${action.target} (${action.description})`,
    );
  }
  process.exit(1);
}
await applyOverlay({ extractPath: EXTRACT, overlayPath: OVERLAY, outputPath: OUTPUT, cwd: SPEC_DIR });
