import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
// @ts-expect-error: the tools are plain ES modules without declarations.
import { ADDITION_MARKER, ADDITIONS } from '../tools/additions.mjs';
// @ts-expect-error: the tools are plain ES modules without declarations.
import { OPERATIONS } from '../tools/extract.mjs';
// @ts-expect-error: the tools are plain ES modules without declarations.
import { sync } from '../tools/sync.mjs';

// What the spec adds that Cloudflare's document lacks (POST /graphql, the tunnel health query) must stay apart from
// what it extracts: marked, never compared with upstream, and noticed when upstream starts describing it.

const SPEC = fileURLToPath(new URL('..', import.meta.url));
const AUGUST = fileURLToPath(new URL('./fixtures/cloudflare-openapi-2026-08-18.json.gz', import.meta.url));

type Node = Record<string, unknown>;
type Operation = Node & { operationId?: string };
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, Record<string, Node>>;
  tags?: Node[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const readSpec = async (): Promise<Document> => parse(await readFile(join(SPEC, 'openapi.yaml'), 'utf8'));
const readExtract = async (): Promise<Document> =>
  JSON.parse(await readFile(join(SPEC, 'upstream/cloudflare.json'), 'utf8'));

function operationsOf(document: Document): { id: string; path: string; method: string; node: Operation }[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => {
      const node = item[method] as Operation;
      return { id: String(node.operationId), path, method, node };
    }),
  );
}

/** Every `#/components/<kind>/<name>` reachable from `node`, following references. */
function reachable(document: Document, node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const item of node) reachable(document, item, found);
  else if (node && typeof node === 'object') {
    for (const [key, child] of Object.entries(node)) {
      if (key === '$ref' && typeof child === 'string' && !found.has(child)) {
        found.add(child);
        const [, , kind = '', name = ''] = child.split('/');
        reachable(document, document.components[kind]?.[name], found);
      } else reachable(document, child, found);
    }
  }
  return found;
}

const component = (document: Document, ref: string): Node | undefined => {
  const [, , kind = '', name = ''] = ref.split('/');
  return document.components[kind]?.[name];
};

describe('our additions in openapi.yaml', () => {
  it('every operation is extracted from Cloudflare or listed as ours, and ours are marked', async () => {
    const spec = await readSpec();
    const source = JSON.parse(await readFile(join(SPEC, 'upstream/source.json'), 'utf8'));
    for (const { id, path, method, node } of operationsOf(spec)) {
      const extracted = source.operations[id];
      const ours = ADDITIONS[id];
      expect(extracted === undefined, `${id} is both extracted and ours`).not.toBe(ours === undefined);
      expect({ path, method }).toEqual(extracted ?? ours);
      expect(node[ADDITION_MARKER] === true, `${id}: ${ADDITION_MARKER}`).toBe(ours !== undefined);
    }
    for (const [id, { path, method }] of Object.entries(
      ADDITIONS as Record<string, { path: string; method: string }>,
    )) {
      expect(spec.paths[path]?.[method]?.operationId).toBe(id);
      expect(OPERATIONS).not.toContain(id);
    }
  });

  it('what an addition refers to is ours (marked) or Cloudflare’s (in the extract), and every marked node is used', async () => {
    const spec = await readSpec();
    const extract = await readExtract();
    const used = new Set<string>();
    for (const { id, node } of operationsOf(spec).filter(({ id }) => ADDITIONS[id])) {
      for (const ref of reachable(spec, node)) {
        used.add(ref);
        const ours = component(spec, ref)?.[ADDITION_MARKER] === true;
        expect(ours || component(extract, ref) !== undefined, `${id} refers to ${ref}`).toBe(true);
      }
    }
    const marked = Object.entries(spec.components).flatMap(([kind, nodes]) =>
      Object.entries(nodes)
        .filter(([, node]) => node?.[ADDITION_MARKER] === true)
        .map(([name]) => `#/components/${kind}/${name}`),
    );
    expect(marked.length).toBeGreaterThan(0);
    for (const ref of marked) expect(used, ref).toContain(ref);
    expect(spec.tags?.find((tag) => tag.name === 'GraphQL Analytics')?.[ADDITION_MARKER]).toBe(true);
  });

  it('the extract is Cloudflare’s alone: no addition, no marker', async () => {
    const text = await readFile(join(SPEC, 'upstream/cloudflare.json'), 'utf8');
    expect(text).not.toContain(ADDITION_MARKER);
    const extract = JSON.parse(text) as Document;
    for (const { path } of Object.values(ADDITIONS as Record<string, { path: string }>))
      expect(extract.paths[path]).toBeUndefined();
  });

  it('the health query is described with its sources and its permission', async () => {
    const operation = (await readSpec()).paths['/graphql']?.post;
    expect(operation?.operationId).toBe('analytics-graphql-query');
    expect(operation?.['x-api-token-group']).toEqual(['Account Analytics Read']);
    expect(String(operation?.description)).toMatch(/Not in Cloudflare's OpenAPI document/);
    expect(String(operation?.description)).toContain(
      'https://developers.cloudflare.com/analytics/graphql-api/tutorials/querying-magic-transit-tunnel-healthcheck-results/',
    );
    expect(String(operation?.description)).toContain(
      'https://developers.cloudflare.com/analytics/graphql-api/errors/',
    );
  });

  it('the tunnel reads carry what delivery and the health check need', async () => {
    const spec = await readSpec();
    const tunnel = spec.components.schemas?.['magic_ipsec-tunnel'] as { properties: Record<string, unknown> };
    for (const field of [
      'customer_endpoint',
      'cloudflare_endpoint',
      'interface_address',
      'interface_address6',
      'custom_remote_identities',
      'health_check',
      'replay_protection',
      'allow_null_cipher',
      'bgp',
      'bgp_status',
      'psk_metadata',
    ])
      expect(tunnel.properties, field).toHaveProperty(field);
    const check = spec.components.schemas?.magic_tunnel_health_check as { properties: Record<string, Node> };
    expect(Object.keys(check.properties).sort()).toEqual(['direction', 'enabled', 'rate', 'target', 'type']);
    // The target is a string, or an object when the request sends x-magic-new-hc-target: true.
    expect(check.properties.target?.anyOf).toHaveLength(2);
    for (const path of [
      '/accounts/{account_id}/magic/ipsec_tunnels',
      '/accounts/{account_id}/magic/ipsec_tunnels/{ipsec_tunnel_id}',
    ]) {
      const parameters = spec.paths[path]?.get?.parameters as { name: string; in: string }[];
      expect(
        parameters.some((p) => p.in === 'header' && p.name === 'x-magic-new-hc-target'),
        path,
      ).toBe(true);
    }
  });
});

describe('spec:sync and our additions', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ipsec-psk-additions-'));
    for (const file of ['upstream', 'overlay.yaml', 'openapi.yaml'])
      await cp(join(SPEC, file), join(dir, file), { recursive: true });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names them as ours and never as removed or missing upstream', async () => {
    const result = await sync({ documentPath: AUGUST, specDir: dir });
    expect(result.review).toBe(false);
    expect(result.missing).toEqual([]);
    expect(result.described).toEqual([]);
    expect(result.report).toMatch(
      /Our additions, not Cloudflare's and not compared: analytics-graphql-query \(POST \/graphql\)/,
    );
    expect(result.report).not.toMatch(/removed|MISSING/);
  });

  it('a change upstream leaves them in the written spec', async () => {
    const document = JSON.parse(gunzipSync(await readFile(AUGUST)).toString('utf8')) as Document;
    const schemas = document.components.schemas as Record<string, { properties: Node }>;
    const tunnel = schemas['magic_ipsec-tunnel'];
    if (tunnel) tunnel.properties.psk_rotation_policy = { type: 'string' };
    const path = join(dir, 'newer.json.gz');
    await writeFile(path, gzipSync(JSON.stringify(document)));
    const result = await sync({ documentPath: path, specDir: dir });
    expect(result.written).toContain('openapi.yaml');
    expect(result.report).not.toMatch(/graphql.*removed|removed.*graphql/i);
    const written = parse(await readFile(join(dir, 'openapi.yaml'), 'utf8')) as Document;
    expect(written.paths['/graphql']?.post?.[ADDITION_MARKER]).toBe(true);
  });

  it('asks for a review when Cloudflare’s document starts describing one of them', async () => {
    const document = JSON.parse(gunzipSync(await readFile(AUGUST)).toString('utf8')) as Document;
    document.paths['/graphql'] = { post: { operationId: 'graphql-query', responses: {} } };
    const path = join(dir, 'with-graphql.json.gz');
    await writeFile(path, gzipSync(JSON.stringify(document)));
    const result = await sync({ documentPath: path, specDir: dir, check: true });
    expect(result.described).toEqual(['analytics-graphql-query (POST /graphql)']);
    expect(result.review).toBe(true);
    expect(result.report).toMatch(/Cloudflare's document now describes what we add ourselves/);
  });
});
