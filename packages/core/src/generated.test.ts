import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const specPath = fileURLToPath(new URL('../../../spec/openapi.yaml', import.meta.url));
const committedPath = fileURLToPath(new URL('./generated/openapi.ts', import.meta.url));
const cli = join(packageDir, 'node_modules', 'openapi-typescript', 'bin', 'cli.js');

// Runs the generator exactly as `pnpm generate` does, on a copy of the spec.
async function generate(dir: string, spec: string): Promise<string> {
  const input = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
  const output = `${input}.ts`;
  await writeFile(input, spec);
  await run(process.execPath, [cli, input, '--output', output], { cwd: packageDir });
  return readFile(output, 'utf8');
}

describe('generated types follow spec/', () => {
  let dir: string;
  let specText: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ipsec-psk-gen-'));
    specText = await readFile(specPath, 'utf8');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('the committed file is what the spec produces (else run `pnpm generate`)', async () => {
    expect(await generate(dir, specText)).toBe(await readFile(committedPath, 'utf8'));
  });

  it('adding a property to the result schema changes the generated types', async () => {
    const spec = parse(specText);
    spec.components.schemas.psk_generation_result.properties.rotation_reason = {
      type: 'string',
      description: 'Why the key was rotated.',
    };
    const changed = await generate(dir, stringify(spec));
    expect(changed).not.toBe(await readFile(committedPath, 'utf8'));
    expect(changed).toMatch(/rotation_reason\?: string;/);
  });
});
