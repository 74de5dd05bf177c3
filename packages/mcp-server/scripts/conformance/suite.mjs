// The conformance suite's CLI and a Node that can run it (the suite needs Node >= 22).
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { run } from './processes.mjs';

/** npx, the first time it downloads Node 24 or the suite. */
const RESOLVE_TIMEOUT_MS = 180_000;

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

/** The last line an `npx -p PACKAGE -c SCRIPT` printed. */
async function npxLine(pkg, script) {
  const result = await run(npx, ['--yes', '--prefer-offline', '-p', pkg, '-c', script], {
    timeoutMs: RESOLVE_TIMEOUT_MS,
  });
  const line = result.stdout.trim().split('\n').pop()?.trim();
  if (result.code !== 0 || !line) {
    throw new Error(
      `npx -p ${pkg} failed (${result.timedOut ? 'timed out' : `exit ${result.code}`}): ${result.stderr.trim().slice(-500)}`,
    );
  }
  return line;
}

export async function resolveNode() {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  if (process.env.CONFORMANCE_NODE) return process.env.CONFORMANCE_NODE;
  return npxLine('node@24', 'node -p process.execPath');
}

/**
 * The suite's CLI script and where it came from: a devDependency at the pinned version if there is one (the lockfile
 * pins its whole tree; nothing is fetched), else the npx cache's (fetched once).
 */
export async function resolveSuite(packageDir, version) {
  try {
    const pkgJson = createRequire(join(packageDir, 'package.json')).resolve(
      '@modelcontextprotocol/conformance/package.json',
    );
    const pkg = JSON.parse(readFileSync(pkgJson, 'utf8'));
    if (pkg.version === version)
      return { bin: join(dirname(pkgJson), pkg.bin.conformance), from: 'devDependency' };
    console.error(`conformance: installed suite is ${pkg.version}, not ${version}: using npx`);
  } catch {
    // not a dependency here
  }
  const bin = await npxLine(`@modelcontextprotocol/conformance@${version}`, 'command -v conformance');
  return { bin: realpathSync(bin), from: 'npx cache' };
}
