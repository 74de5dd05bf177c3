import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
// @ts-expect-error: the tools are plain ES modules without declarations.
import { sync } from '../tools/sync.mjs';

// Two complete copies of Cloudflare's official document, as published in cloudflare/api-schemas (fixtures/README.md).
const UPSTREAM = fileURLToPath(new URL('./fixtures/', import.meta.url));
const JULY = join(UPSTREAM, 'cloudflare-openapi-2026-07-22.json.gz');
const AUGUST = join(UPSTREAM, 'cloudflare-openapi-2026-08-18.json.gz');
const SPEC = fileURLToPath(new URL('..', import.meta.url));

const GENERATE = 'magic-ipsec-tunnels-generate-pre-shared-key-(-psk)-for-ipsec-tunnels';
const SET = 'magic-ipsec-tunnels-set-pre-shared-keys-for-ipsec-tunnels';
const PSK_GENERATE = '/accounts/{account_id}/magic/ipsec_tunnels/{ipsec_tunnel_id}/psk_generate';
const SET_PSKS = '/accounts/{account_id}/magic/ipsec_tunnels/psk';

let dir: string;
beforeEach(async () => {
  // A copy of spec/ as committed: syncing in it leaves the repository alone.
  dir = await mkdtemp(join(tmpdir(), 'ipsec-psk-spec-'));
  for (const file of ['upstream', 'overlay.yaml', 'openapi.yaml'])
    await cp(join(SPEC, file), join(dir, file), { recursive: true });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Document = {
  paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
  components: { schemas: Record<string, Record<string, unknown>> };
};

async function august(): Promise<Document> {
  const { gunzipSync } = await import('node:zlib');
  return JSON.parse(gunzipSync(await readFile(AUGUST)).toString('utf8'));
}

async function write(
  name: string,
  document: unknown,
  format: 'json.gz' | 'yaml' = 'json.gz',
): Promise<string> {
  const path = join(dir, `${name}.${format}`);
  await writeFile(path, format === 'yaml' ? stringify(document) : gzipSync(JSON.stringify(document)));
  return path;
}

const snapshot = async () =>
  Promise.all(
    ['upstream/cloudflare.json', 'upstream/source.json', 'openapi.yaml'].map(
      async (file) => (await stat(join(dir, file))).mtimeMs,
    ),
  );

describe('pnpm spec:sync', () => {
  it('the July copy, then the August copy: no change for our operations, nothing written', async () => {
    const before = await snapshot();
    for (const documentPath of [JULY, AUGUST]) {
      const result = await sync({ documentPath, specDir: dir });
      expect(result.changed).toBe(false);
      expect(result.review).toBe(false);
      expect(result.report).toMatch(/No change for our operations: nothing written/);
      expect(result.report).toMatch(/Overlay: all \d+ actions match/);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('key order alone is no change (a copy with every key reversed; JSON and YAML alike)', async () => {
    const reverse = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(reverse)
        : value && typeof value === 'object'
          ? Object.fromEntries(
              Object.entries(value)
                .reverse()
                .map(([k, v]) => [k, reverse(v)]),
            )
          : value;
    const reversed = await write('reversed', reverse(await august()));
    expect((await sync({ documentPath: reversed, specDir: dir })).changed).toBe(false);
    // The extract is itself an OpenAPI document; as YAML it stands in for a YAML copy of the official one.
    const extract = JSON.parse(await readFile(join(dir, 'upstream/cloudflare.json'), 'utf8'));
    expect(
      (await sync({ documentPath: await write('extract', reverse(extract), 'yaml'), specDir: dir })).changed,
    ).toBe(false);
  });

  it('reports a field added, a parameter removed and a defect fixed upstream, and writes the new spec', async () => {
    const document = await august();
    // A field added to the tunnel.
    (
      document.components.schemas['magic_ipsec-tunnel'] as { properties: Record<string, unknown> }
    ).properties.psk_rotation_policy = {
      type: 'string',
    };
    // A parameter we send removed.
    const set = document.paths[SET_PSKS]?.post;
    if (set) set.parameters = set.parameters?.filter((parameter) => parameter.name !== 'validate_only');
    // A defect fixed upstream: validate_only declared on psk_generate.
    document.paths[PSK_GENERATE]?.post?.parameters?.push({
      name: 'validate_only',
      in: 'query',
      schema: { type: 'boolean' },
    } as never);

    const result = await sync({ documentPath: await write('modified', document), specDir: dir });
    expect(result.changed).toBe(true);
    expect(result.review).toBe(true);
    const lines = result.report.split('\n');
    const line = (pattern: RegExp) => lines.find((text: string) => pattern.test(text));
    expect(line(/added .*field response result\.ipsec_tunnels\[\]\.psk_rotation_policy/)).toMatch(
      /^\s+added/,
    );
    expect(line(new RegExp(`removed +${SET}: parameter query validate_only`))).toMatch(/BREAKING/);
    expect(
      line(new RegExp(`added +${GENERATE.replace(/[()]/g, '\\$&')}: parameter query validate_only`)),
    ).not.toMatch(/BREAKING/);
    expect(result.report).toMatch(/Overlay: 2 of \d+ actions match nothing/);
    expect(result.report).toMatch(/validate_only is mentioned only in the description; declare it/);
    expect(result.report).toMatch(/validate_only defaults to false/);
    expect(result.written).toEqual(['upstream/cloudflare.json', 'upstream/source.json', 'openapi.yaml']);
    const spec = await readFile(join(dir, 'openapi.yaml'), 'utf8');
    expect(spec).toMatch(/psk_rotation_policy/);
    expect(JSON.parse(await readFile(join(dir, 'upstream/source.json'), 'utf8')).document).toBe(
      'modified.json.gz',
    );
  });

  it('an operation gone from the document is breaking, and named', async () => {
    const document = await august();
    delete document.paths[SET_PSKS];
    const result = await sync({ documentPath: await write('gone', document), specDir: dir });
    expect(result.missing).toEqual([SET]);
    expect(result.report).toMatch(new RegExp(`BREAKING +removed +${SET}: operation`));
    expect(result.review).toBe(true);
    // Our shared error responses refer to a schema only that operation brought along: the overlay cannot apply,
    // and the report says so instead of writing a broken spec.
    expect(result.overlayFailed).toBe(true);
    expect(result.report).toMatch(/Applying the overlay FAILED, so openapi.yaml was not written/);
    expect(result.written).toEqual(['upstream/cloudflare.json', 'upstream/source.json']);
  });

  it('an operation moved to another path is breaking', async () => {
    const document = await august();
    const item = document.paths[PSK_GENERATE];
    delete document.paths[PSK_GENERATE];
    document.paths['/accounts/{account_id}/magic/ipsec_tunnels/{ipsec_tunnel_id}/psk'] = item as never;
    const result = await sync({ documentPath: await write('moved', document), specDir: dir });
    expect(result.report).toMatch(
      /BREAKING +changed .*operation moved from POST .*psk_generate to POST .*\/psk$/m,
    );
  });
});

describe('the command', () => {
  const command = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        [join(SPEC, 'tools/sync.mjs'), ...args],
        { cwd: SPEC, env: { ...process.env, INIT_CWD: SPEC } },
      );
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  };
  const committed = () =>
    Promise.all(
      ['upstream/cloudflare.json', 'upstream/source.json', 'openapi.yaml'].map((file) =>
        readFile(join(SPEC, file), 'utf8'),
      ),
    );

  it('finds our committed spec in step with both shipped copies (exit 0)', async () => {
    for (const copy of [JULY, AUGUST]) {
      const result = await command('--check', copy);
      expect(result.stdout).toMatch(/Operations we use: 4 of 4 found/);
      expect(result.stdout).toMatch(/No change for our operations: nothing written/);
      expect(result.code).toBe(0);
    }
  });

  it('--check on a newer document writes nothing and exits 3', async () => {
    const before = await committed();
    const document = await august();
    (
      document.components.schemas['magic_ipsec-tunnel'] as { properties: Record<string, unknown> }
    ).properties.psk_rotation_policy = { type: 'string' };
    const result = await command('--check', await write('newer', document));
    expect(result.stdout).toMatch(/added .*psk_rotation_policy/);
    expect(result.stdout).toMatch(/Check only: nothing written/);
    expect(result.code).toBe(3);
    expect(await committed()).toEqual(before);
  });

  it('names its usage when the document is missing (exit 2)', async () => {
    const result = await command();
    expect(result.stderr).toMatch(/Usage: pnpm spec:sync \[--check\] <official-document/);
    expect(result.code).toBe(2);
  });
});
