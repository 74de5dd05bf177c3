// What spec:sync refuses to read, and the bounds behind it. The document comes from outside (a download), so its
// size, nesting, aliases and references are bounded before the work each would blow up: a document over a bound is
// a Refusal, which the command prints as one line naming the file and the rule, exiting 2 with nothing written.

/** The most text a document may have, decompressed: Cloudflare's is about 12 MB as JSON and 19 MB as YAML. */
export const MAX_TEXT_BYTES = 64 * 1024 * 1024;

/** The deepest nesting of objects and arrays: Cloudflare's document nests 44 levels. */
export const MAX_DEPTH = 100;

/**
 * How far YAML aliases may expand, in the yaml library's own measure (its default): an anchor's uses times the
 * aliases inside it. Cloudflare's YAML uses `$ref`, not aliases; an alias bomb exceeds this at once.
 */
export const MAX_ALIAS_COUNT = 100;

/** A document spec:sync will not read; the message is the rule it breaks, on one line. */
export class Refusal extends Error {
  constructor(rule) {
    super(rule.replace(/\s*\n\s*/g, ' '));
    this.name = 'Refusal';
  }
}

/** A value from the document as a message may show it: short, on one line, never the whole of a large value. */
export function shown(value) {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'number') return `a number (${value})`;
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
