import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createGzip, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Issue 19, item 6: spec:sync reads a document that comes from outside. Whatever its size and shape, a document
// it cannot safely read is refused: exit 2, one line on stderr naming the file and the rule, nothing on stdout,
// nothing written. Each case runs the command as a user does, as a real process, on a copy of spec/ (the tools
// find the spec directory beside them), so a sync that wrongly went ahead would write into the copy, not here.
// The bombs are made at run time; their peak memory is what the kernel counted for the child (support/max-rss.mjs).

const SPEC = fileURLToPath(new URL('..', import.meta.url));
const MAX_RSS = pathToFileURL(fileURLToPath(new URL('./support/max-rss.mjs', import.meta.url))).href;
const MIB = 1024 * 1024;
const LIST = '/accounts/{account_id}/magic/ipsec_tunnels';
const LIST_ID = 'magic-ipsec-tunnels-list-ipsec-tunnels';

let root: string;
let copy: string;
let docs: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ipsec-psk-refusals-'));
  copy = join(root, 'spec');
  docs = join(root, 'docs');
  await mkdir(docs);
  for (const entry of ['tools', 'upstream', 'overlay.yaml', 'openapi.yaml', 'package.json'])
    await cp(join(SPEC, entry), join(copy, entry), { recursive: true });
  // The tools' packages (yaml, Redocly…) resolve from beside them, as in the repository.
  await symlink(join(SPEC, 'node_modules'), join(copy, 'node_modules'), 'dir');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Every file of the spec copy with its content's hash and mtime: "nothing written" is this, unchanged. */
async function snapshot(): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of (await readdir(copy, { recursive: true })).sort()) {
    if (name.startsWith('node_modules')) continue;
    const path = join(copy, name);
    const info = await stat(path);
    files[name] = info.isFile()
      ? `${createHash('sha256')
          .update(await readFile(path))
          .digest('hex')} ${info.mtimeMs}`
      : 'dir';
  }
  return files;
}

/** `pnpm spec:sync [args] <document>` as a real process on the copy, with its peak resident memory in MiB. */
async function sync(document: string, args: string[] = []) {
  const rssFile = join(root, `rss-${Math.random().toString(36).slice(2)}`);
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', MAX_RSS, join(copy, 'tools/sync.mjs'), ...args, document],
      {
        cwd: copy,
        env: { ...process.env, INIT_CWD: copy, MAX_RSS_FILE: rssFile },
        // A bomb the command does not refuse runs until it is killed here (today's code: out of memory after
        // about 90 s).
        timeout: 30_000,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * MIB,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
  const rss = await readFile(rssFile, 'utf8').then(
    (kib) => Number(kib) / 1024,
    () => Number.NaN,
  );
  return { ...result, rssMiB: rss };
}

/** What every refusal shows: exit 2, one line naming the file and the rule, no report, nothing written. */
async function expectRefused(document: string, rule: RegExp) {
  const before = await snapshot();
  const result = await sync(document);
  expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(rule)]);
  expect(result.stderr).toContain(`spec:sync: refused ${document}: `);
  expect(result.stdout).toBe('');
  expect(result.code).toBe(2);
  expect(await snapshot()).toEqual(before);
  return result;
}

/** A small OpenAPI document with one of our operations, whose answer's schema is `schema`. */
function withSchema(schema: unknown, extra: Record<string, unknown> = {}) {
  const ok = { description: 'ok', content: { 'application/json': { schema } } };
  return {
    openapi: '3.0.3',
    info: { title: 'test', version: '1' },
    paths: { [LIST]: { get: { operationId: LIST_ID, responses: { '200': ok } } } },
    ...extra,
  };
}

/** The same document as YAML text, with `schemaYaml` (indented for its place) as the schema. */
function yamlWithSchema(schemaYaml: string, before = '') {
  return `openapi: 3.0.3
info: {title: test, version: '1'}
${before}paths:
  ${LIST}:
    get:
      operationId: ${LIST_ID}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: ${schemaYaml}
`;
}

async function file(name: string, content: string | Buffer | object): Promise<string> {
  const path = join(docs, name);
  const text = typeof content === 'string' || Buffer.isBuffer(content) ? content : JSON.stringify(content);
  await writeFile(path, name.endsWith('.gz') && !Buffer.isBuffer(content) ? gzipSync(text) : text);
  return path;
}

/** Gzips `parts` (text, or a byte and how many times it repeats) as a stream, never holding the whole text. */
async function gzipStream(name: string, parts: (string | [number, number])[]): Promise<string> {
  const path = join(docs, name);
  async function* chunks() {
    for (const part of parts) {
      if (typeof part === 'string') {
        yield Buffer.from(part);
        continue;
      }
      const [byte, count] = part;
      const chunk = Buffer.alloc(MIB, byte);
      for (let left = count; left > 0; left -= MIB) yield left >= MIB ? chunk : chunk.subarray(0, left);
    }
  }
  await pipeline(Readable.from(chunks()), createGzip({ level: 9 }), createWriteStream(path));
  return path;
}

describe('#19.6 bombs: refused within seconds, in under 300 MB', { timeout: 60_000 }, () => {
  it('#19.6 a 400 KB gzip file that expands to 400 MB (a valid document padded with spaces)', async () => {
    const bomb = await gzipStream('padded.json.gz', [
      '{"openapi": "3.0.3", "paths": {}',
      [0x20, 400 * MIB],
      '}',
    ]);
    expect((await stat(bomb)).size).toBeLessThan(500 * 1024);
    const result = await expectRefused(bomb, /over 64 MiB once decompressed/);
    expect(result.rssMiB).toBeLessThan(300);
  });

  it('#19.6 a YAML alias bomb (a billion "lol"s) in the schema of an operation we use', async () => {
    const levels = ['  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let level = 1; level < 10; level++)
      levels.push(
        `  a${level}: &a${level} [${Array(10)
          .fill(`*a${level - 1}`)
          .join(', ')}]`,
      );
    const bomb = await file(
      'laughs.yaml',
      yamlWithSchema('{example: *a9}', `x-laughs:\n${levels.join('\n')}\n`),
    );
    const result = await expectRefused(bomb, /YAML aliases .*maxAliasCount 100/);
    expect(result.rssMiB).toBeLessThan(300);
  });

  it('#19.6 40 MB of nested JSON arrays (gzipped to 40 KB)', async () => {
    const deep = await gzipStream('nested.json.gz', [
      '{"openapi": "3.0.3", "paths": {}, "x-deep": ',
      [0x5b, 20 * MIB],
      [0x5d, 20 * MIB],
      '}',
    ]);
    const result = await expectRefused(deep, /nests deeper than 100 levels/);
    expect(result.rssMiB).toBeLessThan(300);
  });
});

describe('#19.6 every other refusal is one line and exit 2', { timeout: 30_000 }, () => {
  it('#19.6 a missing file, a directory, a file that is not gzip data', async () => {
    await expectRefused(join(docs, 'absent.json'), /no such file/);
    await mkdir(join(docs, 'folder.json'), { recursive: true });
    await expectRefused(join(docs, 'folder.json'), /is not a file/);
    await expectRefused(await file('plain.json.gz', Buffer.from('{"openapi": "3.0.3"}')), /not gzip data/);
  });

  it('#19.6 text that is not JSON or not YAML', async () => {
    await expectRefused(await file('cut.json', '{"openapi": "3.0.3", "paths": {'), /is not valid JSON/);
    await expectRefused(await file('cut.yaml', 'openapi: 3.0.3\npaths: [1, 2\n'), /is not valid YAML/);
    await expectRefused(await file('two.yaml', 'openapi: 3.0.3\n---\nopenapi: 3.0.3\n'), /2 YAML documents/);
  });

  it.each([
    ['Swagger 2.0', { swagger: '2.0', paths: {} }, /not an OpenAPI 3\.x document: openapi is missing/],
    ['OpenAPI 4', { openapi: '4.0.0', paths: {} }, /not an OpenAPI 3\.x document: openapi is "4\.0\.0"/],
    ['no paths', { openapi: '3.0.3' }, /paths is missing or not an object/],
    ['paths null', { openapi: '3.0.3', paths: null }, /paths is missing or not an object/],
    ['an array', [], /its top level is not an object/],
  ])('#19.6 a document that is not OpenAPI 3.x: %s', async (_, document, rule) => {
    await expectRefused(await file('not-openapi.json', document), rule);
  });

  it('#19.6 a YAML document whose openapi is a number (3.1, not "3.1.0")', async () => {
    await expectRefused(await file('number.yaml', 'openapi: 3.1\npaths: {}\n'), /openapi is a number/);
  });

  it.each([
    ['remote', 'https://example.com/schemas.json#/Tunnel', /points outside the document/],
    ['another file', 'common.yaml#/components/schemas/Tunnel', /points outside the document/],
    ['a file URL', 'file:///etc/passwd', /points outside the document/],
    ['missing', '#/components/schemas/gone', /does not resolve in the document/],
    ['not a component', `#/paths/${LIST.replaceAll('/', '~1')}`, /does not name a component/],
    ['an unknown kind', '#/components/__proto__/polluted', /does not name a component/],
  ])('#19.6 a $ref from an operation we use: %s', async (_, ref, rule) => {
    const document = withSchema({ $ref: ref }, { components: { schemas: {} } });
    const refused = await expectRefused(await file('ref.json.gz', document), rule);
    expect(refused.stderr).toContain(`$ref "${ref}" in operation ${LIST_ID}`);
  });

  it('#19.6 nesting deeper than 100 levels: JSON, YAML flow collections, and an alias that contains itself', async () => {
    const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    await expectRefused(
      await file('deep.json', `{"openapi": "3.0.3", "paths": {}, "x": ${nested(101)}}`),
      /nests deeper than 100 levels/,
    );
    await expectRefused(
      await file('deep.yaml', `openapi: 3.0.3\npaths: {}\nx: ${nested(200)}\n`),
      /nests deeper than 100 levels/,
    );
    // One alias, so within the alias limit, but the schema contains itself: walking it would never end.
    await expectRefused(
      await file('cycle.yaml', yamlWithSchema('&tunnel {properties: {self: *tunnel}}')),
      /nests deeper than 100 levels/,
    );
  });

  it('#19.6 nesting of 100 levels is accepted', async () => {
    const nested = `${'['.repeat(99)}${']'.repeat(99)}`;
    const fine = await file('fine.json', `{"openapi": "3.0.3", "paths": {}, "x": ${nested}}`);
    const result = await sync(fine, ['--check']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/Operations we use: 0 of 4 found/);
  });
});
