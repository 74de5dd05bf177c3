import { PskError } from './errors.js';

/** How the client authenticates: an API token (preferred), or a Global API key with its account email. */
export type Credentials = { apiToken: string } | { apiEmail: string; apiKey: string };

/** The credential fields as a caller may pass them, before they are checked. */
export interface CredentialInput {
  /** A Cloudflare API token with "Magic WAN Write" or "Magic Transit Write". */
  apiToken?: string | undefined;
  /** The account email that goes with `apiKey`. */
  apiEmail?: string | undefined;
  /** A Global API key (legacy; prefer `apiToken`). */
  apiKey?: string | undefined;
}

/** Names to use in messages: option names by default, environment variable names when read from the env. */
export interface CredentialFieldNames {
  apiToken: string;
  apiEmail: string;
  apiKey: string;
}

const OPTION_NAMES: CredentialFieldNames = { apiToken: 'apiToken', apiEmail: 'apiEmail', apiKey: 'apiKey' };

function invalid(field: string, message: string): PskError {
  return new PskError(message, { code: 'invalid_input', outcome: 'not_executed', field });
}

// Header values with line breaks or other control characters are refused by fetch only once the request has
// begun, with a message that may quote the value; catching them here keeps the value out of that message.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this rejects.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** Whether `value` holds a line break or another control character (never part of a credential or a key). */
export const hasControlCharacter = (value: string): boolean => CONTROL_CHARACTER.test(value);

/** Whether fetch would accept `value` as a header value. */
export function isHeaderValue(value: string): boolean {
  return value.length > 0 && !hasControlCharacter(value);
}

function checkValue(field: string, value: string): string {
  if (value.length === 0) throw invalid(field, `${field} is empty.`);
  // Surrounding whitespace is legal in a header but never part of a credential: it is a copy-and-paste slip.
  if (!isHeaderValue(value) || value.trim() !== value) {
    throw invalid(
      field,
      `${field} has surrounding whitespace or a control character; copy it again without them.`,
    );
  }
  return value;
}

/** Checks that exactly one complete credential is given and returns it; messages name fields, never values. */
export function resolveCredentials(
  input: CredentialInput,
  names: CredentialFieldNames = OPTION_NAMES,
): Credentials {
  const hasToken = input.apiToken !== undefined;
  const hasEmail = input.apiEmail !== undefined;
  const hasKey = input.apiKey !== undefined;
  if (hasToken && (hasEmail || hasKey)) {
    const other = hasKey ? names.apiKey : names.apiEmail;
    throw invalid(
      names.apiToken,
      `Give either ${names.apiToken} or ${names.apiEmail} + ${names.apiKey}, not both (${other} is set too).`,
    );
  }
  if (hasToken) return { apiToken: checkValue(names.apiToken, input.apiToken as string) };
  if (hasEmail !== hasKey) {
    const missing = hasEmail ? names.apiKey : names.apiEmail;
    throw invalid(missing, `${missing} is missing: ${names.apiEmail} and ${names.apiKey} go together.`);
  }
  if (hasEmail && hasKey) {
    return {
      apiEmail: checkValue(names.apiEmail, input.apiEmail as string),
      apiKey: checkValue(names.apiKey, input.apiKey as string),
    };
  }
  throw invalid(
    names.apiToken,
    `No credentials: set ${names.apiToken}, or ${names.apiEmail} and ${names.apiKey}.`,
  );
}

/** The request headers for a credential. */
export function authHeaders(credentials: Credentials): Record<string, string> {
  if ('apiToken' in credentials) return { Authorization: `Bearer ${credentials.apiToken}` };
  return { 'X-Auth-Email': credentials.apiEmail, 'X-Auth-Key': credentials.apiKey };
}

/** The secret strings of a credential, for scrubbing text that might quote them. */
export function credentialSecrets(credentials: Credentials): string[] {
  return 'apiToken' in credentials ? [credentials.apiToken] : [credentials.apiKey];
}
