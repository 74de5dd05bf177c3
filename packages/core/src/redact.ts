const MIN_SECRET_LENGTH = 4;

/** Replaces every occurrence of each secret in `text`; short strings are skipped to avoid mangling prose. */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret && secret.length >= MIN_SECRET_LENGTH) result = result.split(secret).join('[redacted]');
  }
  return result;
}

// Cloudflare generates keys of 32 letters and digits; its ids are lowercase hex. A long run of letters and digits
// that mixes upper and lower case is taken for a key: a false match only hides a word, a miss would print a key.
const KEY_SHAPED = /[A-Za-z0-9]{16,}/g;

/** Replaces every run that looks like a generated key (16+ letters and digits, both cases) with `[redacted]`. */
export function redactKeyShaped(text: string): string {
  return text.replace(KEY_SHAPED, (run) => (/[a-z]/.test(run) && /[A-Z]/.test(run) ? '[redacted]' : run));
}

/** Every string value of a field named `psk`, at any depth: a key an answer carries is secret wherever it sits. */
export function pskFieldValues(value: unknown, depth = 0): string[] {
  if (depth > 8 || typeof value !== 'object' || value === null) return [];
  const found: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    if (key === 'psk' && typeof child === 'string') found.push(child);
    else found.push(...pskFieldValues(child, depth + 1));
  }
  return found;
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
}

/**
 * A copy of an error from below us (fetch, a socket, a parser) that keeps what helps diagnose it (name, message,
 * errno code, nested cause) but cannot carry a secret: messages are scrubbed and nothing else is copied, since
 * a parser's message can quote the body it choked on.
 */
export function sanitizeCause(error: unknown, secrets: readonly (string | undefined)[], depth = 0): Error {
  const source = (
    typeof error === 'object' && error !== null ? error : { message: String(error) }
  ) as ErrorLike;
  const message =
    typeof source.message === 'string' ? redactSecrets(source.message, secrets) : 'unknown error';
  const copy = new Error(message);
  copy.name = typeof source.name === 'string' ? source.name : 'Error';
  if (typeof source.code === 'string' || typeof source.code === 'number') {
    (copy as Error & { code?: string | number }).code = source.code;
  }
  if (source.cause !== undefined && depth < 3) copy.cause = sanitizeCause(source.cause, secrets, depth + 1);
  // The stack would show our frames, not the original failure, so it adds nothing but noise.
  copy.stack = `${copy.name}: ${message}`;
  return copy;
}
