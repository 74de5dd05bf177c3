import { PskError } from './errors.js';

/** Cloudflare's identifier limit (`maxLength` of `identifier` in spec/openapi.yaml; a test keeps them equal). */
export const IDENTIFIER_MAX_LENGTH = 32;

/** The rule an id must follow, worded for error messages. */
export const IDENTIFIER_RULE =
  `1 to ${IDENTIFIER_MAX_LENGTH} characters, without "/", "\\", "?", "#", "%", "..", ` +
  'whitespace or control characters';

// Anything here would change which URL is requested: path separators (WHATWG URLs treat "\" as "/"), query and
// fragment starts, percent-escapes, and whitespace/control characters that parsers strip or split on.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this rejects.
const URL_CHANGING = /[/\\?#%\s\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]|\.\./;

/** Whether a string is a usable id: within the length limit and free of anything that would change the URL. */
export function isIdentifier(value: string): boolean {
  return (
    value.length > 0 && value.length <= IDENTIFIER_MAX_LENGTH && value !== '.' && !URL_CHANGING.test(value)
  );
}

/**
 * Checks an account or tunnel id before it goes into a URL path. The message names the field and the rule but
 * never echoes the value: a wrong value here is often a pasted token.
 */
export function assertIdentifier(field: string, value: unknown): string {
  const fail = (problem: string): never => {
    throw new PskError(`${field} ${problem}: it must be ${IDENTIFIER_RULE}.`, {
      code: 'invalid_input',
      outcome: 'not_executed',
      field,
    });
  };
  if (typeof value !== 'string') return fail(value === undefined ? 'is missing' : 'is not a string');
  if (value.length === 0) return fail('is empty');
  if (value.length > IDENTIFIER_MAX_LENGTH) return fail(`is ${value.length} characters long`);
  if (value === '.' || URL_CHANGING.test(value))
    return fail('contains a character that would change the URL');
  return value;
}
