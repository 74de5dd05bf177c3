import { describe, expect, it } from 'vitest';
import { GraphqlError, parseQuery, resolveValue } from './parse.js';

describe('parseQuery', () => {
  it('reads fields, aliases, arguments and every kind of value; commas and comments are insignificant', () => {
    const operation = parseQuery(`
      # a comment
      query Q($a: string! = "x", $list: [Int!]) {
        viewer, { n: field(s: "q\\"uote\\u00e9", i: -12, f: 1.5e3, b: true, z: null, e: ENUM, l: [1, $a], o: { k: $list }) }
      }`);
    expect(operation.variables).toEqual(['a', 'list']);
    const field = operation.selections[0]?.selections[0];
    expect(field).toMatchObject({ name: 'field', alias: 'n', selections: [] });
    const args = Object.fromEntries(
      (field?.args ?? []).map(([name, value]) => [name, resolveValue(value, { a: 'A', list: [7] })]),
    );
    expect(args).toEqual({
      s: 'q"uoteé',
      i: -12,
      f: 1500,
      b: true,
      z: null,
      e: 'ENUM',
      l: [1, 'A'],
      o: { k: [7] },
    });
  });

  it('reads an anonymous query, and a variable nobody sent as undefined', () => {
    const [field] = parseQuery('{ f(x: $missing) }').selections;
    expect(resolveValue(field?.args[0]?.[1] ?? { kind: 'scalar', value: 0 }, {})).toBeUndefined();
  });

  it.each([
    ['subscription { f }', /only queries/],
    ['{ f } { g }', /only one operation/],
    ['{ f @include(if: true) }', /directives/],
    ['{ f(x: """block""") }', /block strings/],
    ['{ }', /empty selection set/],
    ['{ f(x: ) }', /unexpected "\)"/],
    ['{ f ', /unexpected end/],
    ['{ f(x: 1 ^) }', /unexpected character/],
    ['query ($a: Int = $b) { f }', /default value cannot use a variable/],
    [`{ f(x: ${'['.repeat(40)}${']'.repeat(40)}) }`, /nested too deeply/],
  ])('refuses %s', (source, message) => {
    expect(() => parseQuery(source)).toThrow(GraphqlError);
    expect(() => parseQuery(source)).toThrow(message);
  });
});
