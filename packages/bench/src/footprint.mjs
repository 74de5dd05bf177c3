// Figure 3: what `npx` / `npm install <package>` puts on disk: the package and its production dependency closure.
//
// Definition used (and printed in the report):
// - a workspace package (ours, not yet published) counts the files `npm pack` would publish, from
//   `npm pack --dry-run --json`;
// - an installed package counts the apparent size of every file in its installed directory, excluding nested
//   node_modules (that is the package's own tarball content, as npm unpacks it);
// - the closure walks `dependencies`, `optionalDependencies` and non-optional `peerDependencies` (npm ≥ 7 installs
//   those) transitively, resolving each name the way Node does from the depending package's real directory, and
//   counts each name@version once. devDependencies are never walked.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Finds `name`'s package directory as Node's resolver would from `fromDir`, following pnpm's symlinks. */
async function resolvePackageDir(fromDir, name) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    if (basename(dir) !== 'node_modules') {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return realpath(candidate);
    }
    if (dirname(dir) === dir) return undefined;
  }
}

function isWorkspacePackage(realDir) {
  return !realDir.split(sep).includes('node_modules');
}

async function packedBytes(pkgDir) {
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: pkgDir,
    maxBuffer: 64 * 1024 * 1024,
  });
  const [pack] = JSON.parse(stdout);
  return { bytes: pack.files.reduce((sum, file) => sum + file.size, 0), files: pack.files.length };
}

async function installedBytes(dir) {
  let bytes = 0;
  let files = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const inner = await installedBytes(path);
      bytes += inner.bytes;
      files += inner.files;
    } else if (entry.isFile()) {
      bytes += (await lstat(path)).size;
      files++;
    }
  }
  return { bytes, files };
}

/** The production dependency closure of the package at `rootDir`: total bytes, files and every package in it. */
async function closure(rootDir) {
  const seen = new Map(); // name@version → { name, version, bytes, files, workspace }
  const missing = new Set();
  const queue = [await realpath(rootDir)];
  const visitedDirs = new Set();
  while (queue.length > 0) {
    const dir = queue.shift();
    if (visitedDirs.has(dir)) continue;
    visitedDirs.add(dir);
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    const key = `${manifest.name}@${manifest.version}`;
    if (!seen.has(key)) {
      const workspace = isWorkspacePackage(dir);
      const size = workspace ? await packedBytes(dir) : await installedBytes(dir);
      seen.set(key, { name: manifest.name, version: manifest.version, workspace, ...size });
    }
    const peers = Object.keys(manifest.peerDependencies ?? {}).filter(
      (name) => manifest.peerDependenciesMeta?.[name]?.optional !== true,
    );
    const names = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
      ...peers,
    ]);
    for (const name of names) {
      const depDir = await resolvePackageDir(dir, name);
      if (depDir === undefined) missing.add(name);
      else queue.push(depDir);
    }
  }
  const packages = [...seen.values()].sort((a, b) => b.bytes - a.bytes);
  return {
    bytes: packages.reduce((sum, p) => sum + p.bytes, 0),
    files: packages.reduce((sum, p) => sum + p.files, 0),
    packages,
    missing: [...missing],
  };
}

export async function measureFootprint({ log }) {
  const result = {};
  for (const name of ['@ipsec-psk/core', '@ipsec-psk/rotation', '@ipsec-psk/cli', '@ipsec-psk/mcp-server']) {
    result[name] = await closure(await resolvePackageDir(BENCH_DIR, name));
    const { bytes, packages, missing } = result[name];
    log(
      `  ${name}: ${(bytes / 1e6).toFixed(2)} MB in ${packages.length} package(s)` +
        `${missing.length ? `; not installed: ${missing.join(', ')}` : ''}`,
    );
  }
  return result;
}

/**
 * The MCP Bundle (`pnpm bundle`): the .mcpb file a user downloads and opens, and what it unpacks to (the staged
 * directory it was packed from, dist-mcpb/bundle/). Nothing else is installed: it runs on the host's Node.
 */
export async function measureBundle({ log }) {
  const serverDir = await resolvePackageDir(BENCH_DIR, '@ipsec-psk/mcp-server');
  const { version } = JSON.parse(await readFile(join(serverDir, 'package.json'), 'utf8'));
  const file = join(serverDir, 'dist-mcpb', `ipsec-psk-${version}.mcpb`);
  const packed = await stat(file).catch(() => undefined);
  if (!packed) throw new Error(`${file} is missing: run \`pnpm bundle\` (pnpm bench builds it).`);
  const unpacked = await installedBytes(join(serverDir, 'dist-mcpb', 'bundle'));
  const result = {
    name: basename(file),
    bytes: packed.size,
    unpackedBytes: unpacked.bytes,
    files: unpacked.files,
  };
  log(
    `  ${result.name}: ${(result.bytes / 1e6).toFixed(2)} MB, ${(result.unpackedBytes / 1e6).toFixed(2)} MB unpacked in ${result.files} files`,
  );
  return result;
}
