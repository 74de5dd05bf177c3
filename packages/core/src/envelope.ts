import type { CloudflareMessage, PskErrorCode } from './errors.js';
import { pskFieldValues, redactKeyShaped, redactSecrets } from './redact.js';
import { neutralizeText, quoteText } from './untrusted.js';

/** The longest Cloudflare message kept, in characters. */
const MESSAGE_MAX_LENGTH = 300;

/** Parses a body as JSON; undefined when it is not JSON. The parser's message quotes the input, so it is dropped. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How Cloudflare's text in an answer is scrubbed before anyone reads it. */
export interface ScrubOptions {
  /** Credentials to remove wherever they are quoted. */
  secrets: readonly (string | undefined)[];
  /**
   * For answers of the key operation: also remove every value of a `psk` field the answer carries and anything
   * shaped like a generated key, since an error text may quote the key.
   */
  keyBearing?: boolean;
}

type Scrub = (text: string) => string;

function scrubber(body: Record<string, unknown>, options: ScrubOptions): Scrub {
  if (!options.keyBearing) return (text) => redactSecrets(text, options.secrets);
  const secrets = [...options.secrets, ...pskFieldValues(body)];
  return (text) => redactKeyShaped(redactSecrets(text, secrets));
}

/** Reads Cloudflare's `errors[]`/`messages[]` leniently: malformed entries are skipped, text scrubbed and neutralised. */
function readMessages(value: unknown, scrub: Scrub): CloudflareMessage[] {
  if (!Array.isArray(value)) return [];
  const messages: CloudflareMessage[] = [];
  for (const entry of value) {
    if (!isRecord(entry) || typeof entry.code !== 'number' || typeof entry.message !== 'string') continue;
    const message: CloudflareMessage = {
      code: entry.code,
      message: neutralizeText(scrub(entry.message), MESSAGE_MAX_LENGTH),
    };
    if (typeof entry.documentation_url === 'string') {
      message.documentationUrl = neutralizeText(scrub(entry.documentation_url), MESSAGE_MAX_LENGTH);
    }
    if (isRecord(entry.source) && typeof entry.source.pointer === 'string') {
      message.pointer = neutralizeText(scrub(entry.source.pointer), MESSAGE_MAX_LENGTH);
    }
    messages.push(message);
  }
  return messages;
}

/** The parts of a Cloudflare envelope a client relies on, read without trusting its shape. */
export interface Envelope {
  success: unknown;
  errors: CloudflareMessage[];
  messages: CloudflareMessage[];
  result: Record<string, unknown> | undefined;
}

/**
 * Reads a response body (its text, or what openapi-fetch already parsed of an error body) as a Cloudflare
 * envelope; undefined when it is empty, not JSON or not an object.
 */
export function readEnvelope(raw: unknown, options: ScrubOptions): Envelope | undefined {
  const body = typeof raw === 'string' ? parseJson(raw) : raw;
  if (!isRecord(body)) return undefined;
  const scrub = scrubber(body, options);
  return {
    success: body.success,
    errors: readMessages(body.errors, scrub),
    messages: readMessages(body.messages, scrub),
    result: isRecord(body.result) ? body.result : undefined,
  };
}

/** Reads an optional string field; anything else counts as absent. */
export function optionalString(record: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = record?.[key];
  return typeof value === 'string' ? value : undefined;
}

export function optionalRecord(
  record: Record<string, unknown> | undefined,
  key: string,
): Record<string, unknown> | undefined {
  const value = record?.[key];
  return isRecord(value) ? value : undefined;
}

/** The error code for a refused (non-2xx) HTTP status. */
export function errorCodeForStatus(status: number): PskErrorCode {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 429:
      return 'rate_limited';
    default:
      return 'api_error';
  }
}

/** "Cloudflare said: …" from its errors, for a message a person can act on. */
export function describeCloudflareErrors(errors: CloudflareMessage[]): string {
  if (errors.length === 0) return '';
  return ` Cloudflare said: ${errors.map((e) => `${quoteText(e.message, MESSAGE_MAX_LENGTH)} (code ${e.code})`).join('; ')}.`;
}
