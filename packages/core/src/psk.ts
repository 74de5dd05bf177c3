import { PskError } from './errors.js';
import { Secret } from './secret.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
// Bytes at or above this would favour the first letters (256 is not a multiple of 62).
const UNBIASED = 256 - (256 % ALPHABET.length);

/**
 * A new pre-shared key made here, like the ones Cloudflare generates: 32 letters and digits (about 190 bits) from
 * the platform's CSPRNG. Which strings Cloudflare accepts is not documented, so validate a set before sending it.
 */
export function generatePsk(length = 32): Secret {
  if (!Number.isInteger(length) || length < 16 || length > 128) {
    throw new PskError('length must be an integer from 16 to 128.', {
      code: 'invalid_input',
      outcome: 'not_executed',
      field: 'length',
    });
  }
  let key = '';
  while (key.length < length) {
    for (const byte of globalThis.crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (byte < UNBIASED && key.length < length) key += ALPHABET[byte % ALPHABET.length];
    }
  }
  return new Secret(key);
}
