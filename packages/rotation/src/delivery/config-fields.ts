// Checks for the fields of the delivery file. A failure names the field by its path in the file
// (`tunnels[2].target.argv[0]`) and the rule, never the value: the file is the operator's, but a message may be
// read by others.

/** A field of the delivery file that breaks a rule. */
export class FieldError extends Error {
  override readonly name = 'FieldError';
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`${field} ${rule}`);
  }
}

/** A JSON object with only the `allowed` keys (a typo must not silently disable a setting). */
export function objectAt(value: unknown, field: string, allowed: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FieldError(field, 'must be a JSON object');
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new FieldError(`${field}.${safeKey(key)}`, `is not a known field (known: ${allowed.join(', ')})`);
    }
  }
  return value as Record<string, unknown>;
}

/** An unknown key, shown only when it is plain (it is part of the file, not a secret, but may be anything). */
function safeKey(key: string): string {
  return /^[A-Za-z0-9_-]{1,40}$/.test(key) ? key : '(a key with unusual characters)';
}

/** Options of a text field. */
export interface TextRule {
  /** The whole value must match. */
  pattern?: RegExp;
  /** What `pattern` means, for the error. */
  patternRule?: string;
  maxLength?: number;
}

/** A required text field. */
export function textAt(value: unknown, field: string, rule: TextRule = {}): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new FieldError(field, 'must be a non-empty string');
  const max = rule.maxLength ?? 1024;
  if (value.length > max) throw new FieldError(field, `must be at most ${max} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses.
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new FieldError(field, 'must not contain control characters');
  if (rule.pattern && !rule.pattern.test(value)) {
    throw new FieldError(field, rule.patternRule ?? `must match ${rule.pattern.source}`);
  }
  return value;
}

/** An optional text field: absent is undefined. */
export function optionalTextAt(value: unknown, field: string, rule: TextRule = {}): string | undefined {
  return value === undefined ? undefined : textAt(value, field, rule);
}

/** A whole number of milliseconds in a range, or the default when absent. */
export function millisecondsAt(value: unknown, field: string, fallback: number, max = 300_000): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 100 || value > max) {
    throw new FieldError(field, `must be a whole number of milliseconds from 100 to ${max}`);
  }
  return value;
}

/** Names of connections, children, keys and interfaces: plain enough to appear in any device syntax. */
export const NAME_RULE: TextRule = {
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
  patternRule: 'must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit',
  maxLength: 64,
};

/** Interface names (`ge-0/0/0.0`, `ethernet1/1`, `GigabitEthernet0/0/0`). */
export const INTERFACE_RULE: TextRule = {
  pattern: /^[A-Za-z0-9][A-Za-z0-9./:_-]{0,63}$/,
  patternRule: 'must be 1 to 64 letters, digits, ".", "/", ":", "_" or "-"',
  maxLength: 64,
};

/** How results name a target. */
export const LABEL_RULE: TextRule = {
  pattern: /^[A-Za-z0-9][A-Za-z0-9 ._:/@-]{0,63}$/,
  patternRule: 'must be 1 to 64 letters, digits, spaces or ". _ : / @ -"',
  maxLength: 64,
};

/**
 * A tunnel-name pattern: `*` any run of characters, `?` one character, everything else literal and compared
 * case-sensitively with the name as `ipsec-psk list` shows it.
 */
export function namePattern(pattern: string): RegExp {
  const body = [...pattern]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 'su');
}
