import { isIP } from 'node:net';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import bundled from './generated/openapi.json' with { type: 'json' };
import type { SimOperation } from './types.js';

type Schema = Record<string, unknown>;
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, Response>;
}
interface Response {
  headers?: Record<string, { schema?: Schema }>;
  content?: Record<string, { schema?: Schema }>;
}
type PathItem = { parameters?: Parameter[] } & Record<string, Operation | Parameter[] | undefined>;
interface OpenApiDocument {
  paths: Record<string, PathItem>;
  components: { schemas: Record<string, Schema> };
}

/** Our operation names for the spec's operationIds; a renamed operation in spec/ fails start-up here. */
const operationIds: Record<string, SimOperation> = {
  'magic-ipsec-tunnels-list-ipsec-tunnels': 'list_tunnels',
  'magic-ipsec-tunnels-list-ipsec-tunnel-details': 'get_tunnel',
  'magic-ipsec-tunnels-generate-pre-shared-key-(-psk)-for-ipsec-tunnels': 'psk_generate',
  'magic-ipsec-tunnels-set-pre-shared-keys-for-ipsec-tunnels': 'set_psks',
  'analytics-graphql-query': 'graphql',
};

/** The error envelope every 4XX/429/5XX response uses, also used for requests that match no operation. */
const ERROR_SCHEMA = 'magic_api-response-common-failure';

/** OpenAPI 3.1 schema keywords outside JSON Schema 2020-12; all are annotations, so Ajv only has to accept them. */
const OPENAPI_KEYWORDS = ['example', 'discriminator', 'xml', 'externalDocs'];

/** Where a request breaks the spec. */
export interface RequestProblem {
  /** The part of the request at fault. */
  where: 'path' | 'query' | 'header' | 'body';
  /** What is wrong, without request values. */
  message: string;
  /** JSON Pointer into the body, for body problems. */
  pointer?: string;
}

/** A request as far as the spec describes it. */
export interface SpecRequest {
  /** Percent-decoded path parameters by name. */
  pathParams: Record<string, string>;
  /** The query string. */
  query: URLSearchParams;
  /** Request headers (lower-case names); only the spec's header parameters are checked. */
  headers?: Record<string, string | string[] | undefined>;
  /** Raw body; empty means no body. */
  body: string;
}

/** One spec operation with its validators, compiled once. */
export interface SpecOperation {
  /** Our name for it. */
  operation: SimOperation;
  /** Upper-case HTTP method. */
  method: string;
  /** Path template segments, e.g. `['accounts', '{account_id}', ...]`. */
  segments: string[];
}

/** Validators for everything the spec says about requests and responses. */
export interface SpecValidator {
  /** The spec's operations, for routing. */
  readonly operations: readonly SpecOperation[];
  /** The first problem with a request, or undefined when it conforms. */
  validateRequest(operation: SimOperation, request: SpecRequest): RequestProblem | undefined;
  /** The query values after the spec's types are applied (e.g. `validate_only` as a boolean). */
  typedQuery(operation: SimOperation, query: URLSearchParams): Record<string, unknown>;
  /** Every way a response breaks the spec; empty when it conforms. Operation undefined means an unrouted request. */
  validateResponse(
    operation: SimOperation | undefined,
    status: number,
    body: unknown,
    headers?: Record<string, string>,
  ): string[];
}

interface CompiledOperation extends SpecOperation {
  pathParams: ValidateFunction;
  query: ValidateFunction;
  queryTypes: Map<string, unknown>;
  headers: ValidateFunction;
  headerTypes: Map<string, unknown>;
  body: ValidateFunction | undefined;
  bodyRequired: boolean;
  responses: Map<string, { body: ValidateFunction | undefined; headers: Map<string, ValidateFunction> }>;
}

let instance: SpecValidator | undefined;

/** The validator for spec/openapi.yaml, compiled on first use and shared afterwards. */
export function specValidator(): SpecValidator {
  instance ??= compile(bundled as unknown as OpenApiDocument);
  return instance;
}

function compile(doc: OpenApiDocument): SpecValidator {
  // OpenAPI 3.1 schemas are JSON Schema 2020-12.
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  ajvFormats.default(ajv);
  // OpenAPI's `password` format is an annotation (mask it in UIs), not a constraint.
  ajv.addFormat('password', true);
  // Cloudflare's tunnel schema uses `cidr` (BGP prefixes), which ajv-formats lacks.
  ajv.addFormat('cidr', { type: 'string', validate: isCidr });
  for (const keyword of OPENAPI_KEYWORDS) ajv.addKeyword(keyword);
  for (const keyword of extensionKeywords(doc)) ajv.addKeyword(keyword);

  const compiled: CompiledOperation[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const) {
      const op = item[method] as Operation | undefined;
      if (!op) continue;
      const name = op.operationId ? operationIds[op.operationId] : undefined;
      if (!name)
        throw new Error(`spec operation ${method.toUpperCase()} ${template} has no simulator mapping`);
      compiled.push(
        compileOperation(
          ajv,
          name,
          method,
          template,
          [...(item.parameters ?? []), ...(op.parameters ?? [])],
          op,
        ),
      );
    }
  }
  const errorResponse = doc.components.schemas[ERROR_SCHEMA];
  if (!errorResponse) throw new Error(`spec has no components.schemas.${ERROR_SCHEMA}`);
  const unroutedError = ajv.compile(errorResponse);
  const byName = new Map(compiled.map((op) => [op.operation, op]));
  const get = (name: SimOperation): CompiledOperation => {
    const op = byName.get(name);
    if (!op) throw new Error(`spec has no operation for ${name}`);
    return op;
  };

  return {
    operations: compiled.map(({ operation, method, segments }) => ({ operation, method, segments })),
    typedQuery: (name, query) => typedQuery(get(name), query),
    validateRequest(name, request) {
      const op = get(name);
      if (!op.pathParams(request.pathParams))
        return { where: 'path', message: describe(op.pathParams.errors) };
      if (!op.query(typedQuery(op, request.query)))
        return { where: 'query', message: describe(op.query.errors) };
      if (!op.headers(typedHeaders(op, request.headers ?? {})))
        return { where: 'header', message: describe(op.headers.errors) };
      return validateBody(op, request.body);
    },
    validateResponse(name, status, body, headers = {}) {
      if (name === undefined) {
        if (status < 400) return [`status ${status} is not an error, but the request matched no operation`];
        return unroutedError(body) ? [] : problems(unroutedError.errors, status);
      }
      const op = get(name);
      const response =
        op.responses.get(String(status)) ??
        op.responses.get(`${Math.floor(status / 100)}XX`) ??
        op.responses.get('default');
      if (!response) return [`status ${status} is not declared for ${name}`];
      const found: string[] = [];
      if (response.body && !response.body(body)) found.push(...problems(response.body.errors, status));
      for (const [header, validate] of response.headers) {
        const value = headers[header];
        if (value !== undefined && !validate(/^\d+$/.test(value) ? Number(value) : value)) {
          found.push(`${status} header ${header} ${validate.errors?.map((e) => e.message).join('; ')}`);
        }
      }
      return found;
    },
  };
}

function compileOperation(
  ajv: Ajv2020,
  operation: SimOperation,
  method: string,
  template: string,
  parameters: Parameter[],
  op: Operation,
): CompiledOperation {
  // Header names are case-insensitive; Node hands them over in lower case, so the schemas use lower case too.
  const nameOf = (p: Parameter): string => (p.in === 'header' ? p.name.toLowerCase() : p.name);
  const group = (where: string): Schema => {
    const own = parameters.filter((p) => p.in === where);
    return {
      type: 'object',
      properties: Object.fromEntries(own.map((p) => [nameOf(p), p.schema ?? {}])),
      required: own.filter((p) => p.required).map(nameOf),
    };
  };
  const types = (where: string) =>
    new Map(parameters.filter((p) => p.in === where).map((p) => [nameOf(p), p.schema?.type]));
  const bodySchema = op.requestBody?.content?.['application/json']?.schema;
  const responses = new Map(
    Object.entries(op.responses ?? {}).map(([status, response]) => {
      const schema = response.content?.['application/json']?.schema;
      const headers = new Map(
        Object.entries(response.headers ?? {}).map(([name, header]) => [
          name.toLowerCase(),
          ajv.compile(header.schema ?? {}),
        ]),
      );
      return [status, { body: schema ? ajv.compile(schema) : undefined, headers }];
    }),
  );
  return {
    operation,
    method: method.toUpperCase(),
    segments: template.split('/').filter(Boolean),
    pathParams: ajv.compile(group('path')),
    query: ajv.compile(group('query')),
    queryTypes: types('query'),
    headers: ajv.compile(group('header')),
    headerTypes: types('header'),
    body: bodySchema ? ajv.compile(bodySchema) : undefined,
    bodyRequired: op.requestBody?.required === true,
    responses,
  };
}

/** Query strings carry text; the spec types them. Anything not exactly `true`/`false` stays text and fails. */
function typedQuery(op: CompiledOperation, query: URLSearchParams): Record<string, unknown> {
  const typed: Record<string, unknown> = {};
  for (const name of new Set(query.keys())) {
    const values = query.getAll(name);
    // A repeated parameter is ambiguous; keeping all values makes it fail a scalar schema.
    const value = values.length === 1 ? values[0] : values;
    if (op.queryTypes.get(name) === 'boolean' && (value === 'true' || value === 'false')) {
      typed[name] = value === 'true';
    } else {
      typed[name] = value;
    }
  }
  return typed;
}

/** The spec's header parameters as sent, typed like query values; other headers are not the spec's concern here. */
function typedHeaders(
  op: CompiledOperation,
  headers: Record<string, string | string[] | undefined>,
): Record<string, unknown> {
  const typed: Record<string, unknown> = {};
  for (const [name, type] of op.headerTypes) {
    const value = headers[name];
    if (value === undefined) continue;
    typed[name] = type === 'boolean' && (value === 'true' || value === 'false') ? value === 'true' : value;
  }
  return typed;
}

function validateBody(op: CompiledOperation, raw: string): RequestProblem | undefined {
  if (raw.trim() === '') {
    return op.bodyRequired ? { where: 'body', message: 'request body is required', pointer: '' } : undefined;
  }
  if (!op.body) return { where: 'body', message: 'this operation takes no request body', pointer: '' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { where: 'body', message: 'request body is not valid JSON', pointer: '' };
  }
  if (op.body(parsed)) return undefined;
  const first = op.body.errors?.[0];
  // Point at the missing or extra member itself, not at the object that holds it.
  const member =
    first?.keyword === 'additionalProperties'
      ? first.params.additionalProperty
      : first?.keyword === 'required'
        ? first.params.missingProperty
        : undefined;
  const extra = member === undefined ? '' : `/${escapePointer(String(member))}`;
  return {
    where: 'body',
    message: describe(op.body.errors),
    pointer: `${first?.instancePath ?? ''}${extra}`,
  };
}

function escapePointer(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

function isCidr(value: string): boolean {
  const [address = '', prefix, ...rest] = value.split('/');
  if (prefix === undefined || rest.length || !/^\d{1,3}$/.test(prefix)) return false;
  const version = isIP(address);
  return version !== 0 && Number(prefix) <= (version === 4 ? 32 : 128);
}

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map(errorText).join('; ') || 'invalid';
}

function problems(errors: ErrorObject[] | null | undefined, status: number): string[] {
  return (errors ?? []).map((error) => `${status} body ${errorText(error)}`);
}

// Ajv's messages name the place and the rule, never the offending value, so no secret leaks through them.
function errorText(error: ErrorObject): string {
  const where = error.instancePath || '/';
  const extra =
    error.keyword === 'additionalProperties' ? ` (${String(error.params.additionalProperty)})` : '';
  return `${where} ${error.message ?? 'is invalid'}${extra}`;
}

function extensionKeywords(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) extensionKeywords(item, found);
  } else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key.startsWith('x-')) found.add(key);
      extensionKeywords(child, found);
    }
  }
  return found;
}
