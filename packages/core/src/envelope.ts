import type { CloudflareMessage, PskErrorCode } from './errors.js';
import { redactSecrets } from './redact.js';

/** Parses a body as JSON; undefined when it is not JSON. The parser's message quotes the input, so it is dropped. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads Cloudflare's `errors[]`/`messages[]` leniently: malformed entries are skipped, text is scrubbed. */
export function readMessages(value: unknown, secrets: readonly (string | undefined)[]): CloudflareMessage[] {
  if (!Array.isArray(value)) return [];
  const messages: CloudflareMessage[] = [];
  for (const entry of value) {
    if (!isRecord(entry) || typeof entry.code !== 'number' || typeof entry.message !== 'string') continue;
    const message: CloudflareMessage = { code: entry.code, message: redactSecrets(entry.message, secrets) };
    if (typeof entry.documentation_url === 'string') message.documentationUrl = entry.documentation_url;
    if (isRecord(entry.source) && typeof entry.source.pointer === 'string')
      message.pointer = entry.source.pointer;
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

/** Reads a response body as a Cloudflare envelope; undefined when it is empty, not JSON or not an object. */
export function readEnvelope(
  text: string | undefined,
  secrets: readonly (string | undefined)[],
): Envelope | undefined {
  const body = text === undefined ? undefined : parseJson(text);
  if (!isRecord(body)) return undefined;
  return {
    success: body.success,
    errors: readMessages(body.errors, secrets),
    messages: readMessages(body.messages, secrets),
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
  return ` Cloudflare said: ${errors.map((e) => `${e.message} (code ${e.code})`).join('; ')}.`;
}
