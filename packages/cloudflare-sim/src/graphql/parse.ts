// Just enough of GraphQL's syntax to read the queries a client sends for tunnel health: one query operation,
// variable definitions, fields with aliases and arguments, and every kind of value. Fragments, directives,
// mutations and subscriptions are refused. The simulator is not a GraphQL engine: what the document asks for is
// judged afterwards (query.ts), against the one dataset it serves.

/** A document the simulator cannot run, with a message in the style of Cloudflare's GraphQL errors. */
export class GraphqlError extends Error {
  override readonly name = 'GraphqlError';
}

/** A value in a query, before variables are substituted. */
export type GqlValue =
  | { kind: 'variable'; name: string }
  | { kind: 'scalar'; value: string | number | boolean | null }
  | { kind: 'list'; items: GqlValue[] }
  | { kind: 'object'; fields: [string, GqlValue][] };

/** A field and what it selects. */
export interface GqlField {
  /** The field's name. */
  name: string;
  /** Its alias, if the query gave one. */
  alias: string | undefined;
  /** Its arguments, in order. */
  args: [string, GqlValue][];
  /** Its sub-selections; empty for a leaf. */
  selections: GqlField[];
}

/** The document's one operation. */
export interface GqlOperation {
  /** Names of the variables it declares. */
  variables: string[];
  /** The top-level selections. */
  selections: GqlField[];
}

type Token = { kind: 'punct' | 'name' | 'number' | 'string'; text: string; value?: string | number };

// Commas are insignificant in GraphQL, like white space; `#` starts a comment that runs to the end of the line.
const IGNORED = /^(?:[\s,\ufeff]+|#[^\n\r]*)/;
const NAME = /^[_A-Za-z][_0-9A-Za-z]*/;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/;
const STRING = /^"(?:[^"\\\n\r]|\\(?:["\\/bfnrt]|u[0-9A-Fa-f]{4}))*"/;
const PUNCT = /^(?:\.\.\.|[!$&():=@[\]{|}])/;
const MAX_DEPTH = 32;

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let rest = source;
  while (rest.length > 0) {
    const ignored = IGNORED.exec(rest);
    if (ignored) {
      rest = rest.slice(ignored[0].length);
      continue;
    }
    if (rest.startsWith('"""')) throw new GraphqlError('syntax error: block strings are not supported');
    const string = STRING.exec(rest);
    const number = string ? null : NUMBER.exec(rest);
    const name = string || number ? null : NAME.exec(rest);
    const punct = string || number || name ? null : PUNCT.exec(rest);
    if (string) tokens.push({ kind: 'string', text: string[0], value: JSON.parse(string[0]) as string });
    else if (number) tokens.push({ kind: 'number', text: number[0], value: Number(number[0]) });
    else if (name) tokens.push({ kind: 'name', text: name[0] });
    else if (punct) tokens.push({ kind: 'punct', text: punct[0] });
    else
      throw new GraphqlError(`syntax error: unexpected character at offset ${source.length - rest.length}`);
    rest = rest.slice((string ?? number ?? name ?? punct)?.[0].length ?? 1);
  }
  return tokens;
}

class Parser {
  #index = 0;
  constructor(private readonly tokens: Token[]) {}

  document(): GqlOperation {
    const first = this.#peek();
    if (first?.text === 'fragment' || first?.text === '...')
      throw new GraphqlError('fragments are not supported');
    if (first?.kind === 'name' && first.text !== 'query') {
      throw new GraphqlError(
        `only queries are supported, not ${first.text === 'mutation' ? 'mutations' : 'this'}`,
      );
    }
    let variables: string[] = [];
    if (first?.text === 'query') {
      this.#index++;
      if (this.#peek()?.kind === 'name') this.#index++;
      if (this.#peek()?.text === '(') variables = this.#variableDefinitions();
    }
    const selections = this.#selectionSet(0);
    if (this.#peek()) throw new GraphqlError('only one operation per document is supported');
    return { variables, selections };
  }

  #variableDefinitions(): string[] {
    this.#expect('(');
    const names: string[] = [];
    while (!this.#accept(')')) {
      this.#expect('$');
      names.push(this.#name());
      this.#expect(':');
      this.#type(0);
      if (this.#accept('=')) this.#value(0, true);
    }
    return names;
  }

  #type(depth: number): void {
    if (depth > MAX_DEPTH) throw new GraphqlError('syntax error: type nested too deeply');
    if (this.#accept('[')) {
      this.#type(depth + 1);
      this.#expect(']');
    } else this.#name();
    this.#accept('!');
  }

  #selectionSet(depth: number): GqlField[] {
    if (depth > MAX_DEPTH) throw new GraphqlError('syntax error: selections nested too deeply');
    this.#expect('{');
    const fields: GqlField[] = [];
    while (!this.#accept('}')) {
      if (this.#peek()?.text === '...') throw new GraphqlError('fragments are not supported');
      let name = this.#name();
      let alias: string | undefined;
      if (this.#accept(':')) {
        alias = name;
        name = this.#name();
      }
      const args: [string, GqlValue][] = [];
      if (this.#accept('(')) {
        while (!this.#accept(')')) {
          const argument = this.#name();
          this.#expect(':');
          args.push([argument, this.#value(depth, false)]);
        }
      }
      if (this.#peek()?.text === '@') throw new GraphqlError('directives are not supported');
      const selections = this.#peek()?.text === '{' ? this.#selectionSet(depth + 1) : [];
      fields.push({ name, alias, args, selections });
    }
    if (fields.length === 0) throw new GraphqlError('syntax error: empty selection set');
    return fields;
  }

  #value(depth: number, constant: boolean): GqlValue {
    if (depth > MAX_DEPTH) throw new GraphqlError('syntax error: value nested too deeply');
    const token = this.#next();
    if (token.text === '$' && token.kind === 'punct') {
      if (constant) throw new GraphqlError('syntax error: a default value cannot use a variable');
      return { kind: 'variable', name: this.#name() };
    }
    if (token.kind === 'string' || token.kind === 'number')
      return { kind: 'scalar', value: token.value ?? null };
    if (token.kind === 'name') {
      if (token.text === 'true' || token.text === 'false')
        return { kind: 'scalar', value: token.text === 'true' };
      if (token.text === 'null') return { kind: 'scalar', value: null };
      return { kind: 'scalar', value: token.text };
    }
    if (token.text === '[') {
      const items: GqlValue[] = [];
      while (!this.#accept(']')) items.push(this.#value(depth + 1, constant));
      return { kind: 'list', items };
    }
    if (token.text === '{') {
      const fields: [string, GqlValue][] = [];
      while (!this.#accept('}')) {
        const name = this.#name();
        this.#expect(':');
        fields.push([name, this.#value(depth + 1, constant)]);
      }
      return { kind: 'object', fields };
    }
    throw new GraphqlError(`syntax error: unexpected "${token.text}"`);
  }

  #peek(): Token | undefined {
    return this.tokens[this.#index];
  }

  #next(): Token {
    const token = this.tokens[this.#index++];
    if (!token) throw new GraphqlError('syntax error: unexpected end of the document');
    return token;
  }

  #accept(punct: string): boolean {
    const token = this.#peek();
    if (token?.kind !== 'punct' || token.text !== punct) return false;
    this.#index++;
    return true;
  }

  #expect(punct: string): void {
    if (!this.#accept(punct)) throw new GraphqlError(`syntax error: expected "${punct}"`);
  }

  #name(): string {
    const token = this.#next();
    if (token.kind !== 'name') throw new GraphqlError('syntax error: expected a name');
    return token.text;
  }
}

/** Parses a document with one query operation; throws GraphqlError for anything else. */
export function parseQuery(source: string): GqlOperation {
  return new Parser(tokenize(source)).document();
}

/** A value with the request's variables substituted (an undefined variable reads as undefined). */
export function resolveValue(value: GqlValue, variables: Record<string, unknown>): unknown {
  switch (value.kind) {
    case 'variable':
      return Object.hasOwn(variables, value.name) ? variables[value.name] : undefined;
    case 'scalar':
      return value.value;
    case 'list':
      return value.items.map((item) => resolveValue(item, variables));
    case 'object':
      return Object.fromEntries(value.fields.map(([name, item]) => [name, resolveValue(item, variables)]));
  }
}
