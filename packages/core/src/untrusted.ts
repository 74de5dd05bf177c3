// Text the API returns (tunnel names, descriptions, Cloudflare's messages) is data from outside. Before a person or a
// model reads it, it must not be able to move a cursor, recolour a terminal, reorder what follows it (bidi
// overrides), hide characters, start a new line that looks like ours, or drown everything else by its length.

// Whole terminal sequences first, so their printable tails ("[31m") do not survive as text: CSI, OSC (ended by BEL
// or ST) and two-character escapes.
const TERMINAL_SEQUENCE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences are exactly what this removes.
  /\u001b(?:\[[0-?]*[ -/]*[@-~]?|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-_])?|\u009b[0-?]*[ -/]*[@-~]?/g;
// Characters that break lines: they become spaces so that words stay apart.
// biome-ignore lint/suspicious/noControlCharactersInRegex: line breaks are what this matches.
const LINE_BREAKING = /[\t\n\v\f\r\u001c-\u001f\u0085\u2028\u2029]/g;
// Everything else that is not visible text: controls, format characters (bidi overrides and isolates, zero-width
// joiners, BOM, soft hyphen), private-use and lone surrogates.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/gu;

/** The longest piece of API text shown by default, in characters. */
export const UNTRUSTED_TEXT_MAX_LENGTH = 200;

/**
 * API-supplied text made safe to show: terminal escape sequences, control, format and bidi characters removed,
 * line breaks turned into spaces, whitespace collapsed, and the length capped at `maxLength` characters (the cut
 * marked with "…"). Anything but a string gives ''.
 */
export function neutralizeText(value: unknown, maxLength = UNTRUSTED_TEXT_MAX_LENGTH): string {
  if (typeof value !== 'string') return '';
  const plain = value
    .replace(TERMINAL_SEQUENCE, '')
    .replace(LINE_BREAKING, ' ')
    .replace(INVISIBLE, '')
    .replace(/\s+/g, ' ')
    .trim();
  const characters = Array.from(plain);
  if (characters.length <= maxLength) return plain;
  return `${characters.slice(0, Math.max(0, maxLength - 1)).join('')}…`;
}

/** `neutralizeText` in double quotes, with quotes and backslashes escaped, so it cannot end the quote early. */
export function quoteText(value: unknown, maxLength = UNTRUSTED_TEXT_MAX_LENGTH): string {
  return JSON.stringify(neutralizeText(value, maxLength));
}
