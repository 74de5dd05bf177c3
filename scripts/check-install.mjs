// The from-clone install path, checked: after `pnpm build`, the command line and the MCP server packed as npm would
// publish them (`npm pack`), installed with npm into a private prefix without the registry (their bundles need
// nothing else), and run by name from PATH. Exit 1, saying what failed, when any step does.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'ipsec-psk-install-'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const quiet = ['--no-audit', '--no-fund', '--loglevel=error'];

function step(what, run) {
  try {
    return run();
  } catch (error) {
    const output = [error.stdout, error.stderr].filter(Boolean).join('\n').trim();
    console.error(`check-install: ${what} failed${output ? `:\n${output}` : ` (${error.message})`}`);
    rmSync(work, { recursive: true, force: true });
    process.exit(1);
  }
}

const tarballs = ['cli', 'mcp-server'].map((name) => {
  const before = new Set(readdirSync(work));
  step(`npm pack of packages/${name}`, () =>
    execFileSync(npm, ['pack', '--pack-destination', work, ...quiet], {
      cwd: join(root, 'packages', name),
      encoding: 'utf8',
    }),
  );
  const packed = readdirSync(work).find((file) => !before.has(file) && file.endsWith('.tgz'));
  if (!packed)
    step(`npm pack of packages/${name}`, () => {
      throw new Error('no tarball written');
    });
  return join(work, packed);
});

const prefix = join(work, 'prefix');
step('npm install -g of the tarballs (offline)', () =>
  execFileSync(npm, ['install', '--global', '--prefix', prefix, '--offline', ...quiet, ...tarballs], {
    encoding: 'utf8',
  }),
);

const bin = process.platform === 'win32' ? prefix : join(prefix, 'bin');
const env = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` };
for (const [command, expected] of [
  ['ipsec-psk', /^ipsec-psk \d+\.\d+\.\d+: list Cloudflare/],
  ['ipsec-psk-mcp', /^ipsec-psk-mcp \d+\.\d+\.\d+: MCP server/],
]) {
  const usage = step(`${command} --help, by name from PATH`, () =>
    execFileSync(command, ['--help'], { env, encoding: 'utf8', shell: process.platform === 'win32' }),
  );
  if (!expected.test(usage)) {
    console.error(`check-install: ${command} --help printed something else:\n${usage.slice(0, 300)}`);
    process.exit(1);
  }
  console.log(`check-install: ${command} installed by npm from its packed tarball runs by name`);
}
rmSync(work, { recursive: true, force: true });
