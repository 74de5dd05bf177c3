// `pnpm spec:sync <official-document.json|.yaml|.gz>`: follows Cloudflare's document. Re-extracts our operations;
// when they changed, writes the extract, applies the overlay, regenerates everything downstream and says what
// changed (breaking changes for our client marked) and which overlay actions no longer match. When nothing
// changed for our operations, it writes nothing. Exit code: 0, or 3 when a reviewer must act (a breaking change,
// an overlay action that matches nothing, an operation that is gone, Cloudflare describing what we add ourselves),
// or 2 for a usage error or a document refused before anything is written (too large, too deep, aliases expanding
// too far, a reference outside it or to nothing, not OpenAPI 3.x: refusal.mjs), told in one line.
// `--check` writes nothing and exits 3 when a sync would write (a scheduled job's "is Cloudflare's document ahead of
// ours?"). Our additions (tools/additions.mjs) are not Cloudflare's, so they are never extracted or compared.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { isDeepStrictEqual, promisify } from 'node:util';
import { ADDITIONS, upstreamDescribes } from './additions.mjs';
import { compareExtracts } from './changes.mjs';
import { readDocument } from './document.mjs';
import { extract, OPERATIONS } from './extract.mjs';
import { applyOverlay, checkOverlay } from './overlay.mjs';
import { EXTRACT, OUTPUT, OVERLAY, SOURCE, SPEC_DIR } from './paths.mjs';
import { Refusal } from './refusal.mjs';

const run = promisify(execFile);

/**
 * Syncs `specDir` (default: this repository's spec/) from the document at `documentPath`. `regenerate` runs
 * `pnpm generate` afterwards (the types and the simulator's schema); `check` writes nothing. Returns the report
 * and whether a reviewer must act; throws a Refusal, having written nothing, for a document it will not read.
 */
export async function sync({ documentPath, specDir = SPEC_DIR, regenerate = false, check = false }) {
  const { document, name, sha256 } = await readDocument(documentPath);
  const fresh = extract(document);
  const described = upstreamDescribes(document);
  const current = JSON.parse(await readFile(join(specDir, EXTRACT), 'utf8'));
  const source = JSON.parse(await readFile(join(specDir, SOURCE), 'utf8'));
  const actions = await checkOverlay(join(specDir, OVERLAY), fresh.extract);
  const unmatched = actions.filter((action) => action.matches === 0);
  const changed = !isDeepStrictEqual(current, fresh.extract);
  const { changes, differences } = changed
    ? compareExtracts(current, source.operations, fresh.extract, fresh.found, OPERATIONS)
    : { changes: [], differences: 0 };

  const written = [];
  let overlayFailure;
  if (changed && !check) {
    await writeFile(join(specDir, EXTRACT), `${JSON.stringify(fresh.extract, null, 2)}\n`);
    await writeFile(
      join(specDir, SOURCE),
      `${JSON.stringify({ document: name, sha256, operations: fresh.found }, null, 2)}\n`,
    );
    written.push(EXTRACT, SOURCE);
    try {
      await applyOverlay({ extractPath: EXTRACT, overlayPath: OVERLAY, outputPath: OUTPUT, cwd: specDir });
      written.push(OUTPUT);
      if (regenerate) await run('pnpm', ['generate'], { cwd: join(specDir, '..') });
    } catch (error) {
      // Redocly says why on stderr (an unresolved reference, typically: a fix refers to what upstream dropped).
      overlayFailure = String(error.stderr ?? error.message)
        .split('\n')
        .filter((line) => /error|❌|\$ref|Can't resolve/i.test(line))
        .slice(0, 5);
    }
  }

  const breaking = changes.filter((entry) => entry.breaking);
  const review =
    breaking.length > 0 ||
    unmatched.length > 0 ||
    fresh.missing.length > 0 ||
    described.length > 0 ||
    overlayFailure !== undefined;
  const lines = [`Cloudflare document ${name} (SHA-256 ${sha256})`];
  lines.push(
    `Operations we use: ${OPERATIONS.length - fresh.missing.length} of ${OPERATIONS.length} found` +
      (fresh.missing.length ? `; MISSING: ${fresh.missing.join(', ')}` : ''),
  );
  if (!changed) {
    lines.push('No change for our operations: nothing written.');
  } else {
    lines.push(`Changes for our operations (${differences} differences in the extract in all):`);
    for (const entry of changes) {
      lines.push(
        `  ${entry.breaking ? 'BREAKING ' : '         '} ${entry.kind.padEnd(7)} ${entry.operation}: ${entry.what}`,
      );
    }
    if (changes.length === 0) lines.push('  (descriptions, examples and the like only)');
  }
  lines.push(
    unmatched.length === 0
      ? `Overlay: all ${actions.length} actions match.`
      : `Overlay: ${unmatched.length} of ${actions.length} actions match nothing (upstream fixed or moved what they fix); review them in ${OVERLAY}:`,
  );
  for (const action of unmatched)
    lines.push(`  action ${action.index + 1}: ${action.description} (${action.target})`);
  const ours = Object.entries(ADDITIONS).map(
    ([id, { path, method }]) => `${id} (${method.toUpperCase()} ${path})`,
  );
  lines.push(`Our additions, not Cloudflare's and not compared: ${ours.join(', ')}.`);
  if (described.length > 0) {
    lines.push(
      `Cloudflare's document now describes what we add ourselves: ${described.join(', ')}; review whether to extract theirs (tools/extract.mjs) and drop our addition from ${OVERLAY}.`,
    );
  }
  if (overlayFailure) {
    lines.push(
      `Applying the overlay FAILED, so ${OUTPUT} was not written; fix ${OVERLAY}, then run pnpm generate:`,
    );
    for (const line of overlayFailure) lines.push(`  ${line.trim()}`);
  }
  if (changed && check) lines.push('Check only: nothing written; run without --check to apply.');
  if (written.length > 0) {
    lines.push(
      `Wrote ${written.map((file) => `spec/${file}`).join(', ')}${regenerate ? '; regenerated the types and the simulator schema' : ''}.`,
    );
    lines.push('Review: git diff spec packages/core/src/generated packages/cloudflare-sim/src/generated');
  }
  return {
    changed,
    changes,
    unmatched,
    missing: fresh.missing,
    described,
    written,
    overlayFailed: overlayFailure !== undefined,
    review,
    report: lines.join('\n'),
  };
}

const invokedDirectly = process.argv[1] && resolve(process.argv[1]) === new URL(import.meta.url).pathname;
if (invokedDirectly) {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const [argument, ...rest] = args.filter((arg) => arg !== '--check');
  if (!argument || rest.length > 0 || argument.startsWith('-')) {
    console.error('Usage: pnpm spec:sync [--check] <official-document.json|.yaml|.json.gz|.yaml.gz>');
    process.exit(2);
  }
  // pnpm runs the script in spec/; a relative path means relative to where the user typed it.
  const documentPath = isAbsolute(argument)
    ? argument
    : resolve(process.env.INIT_CWD ?? process.cwd(), argument);
  let result;
  try {
    result = await sync({ documentPath, regenerate: !check, check });
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    // The path as one line too: a file name may hold a line break.
    console.error(`spec:sync: refused ${documentPath.replace(/\n/g, '\\n')}: ${error.message}`);
    process.exit(2);
  }
  console.log(result.report);
  process.exit(result.review || (check && result.changed) ? 3 : 0);
}
