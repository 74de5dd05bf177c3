import { IDENTIFIER_MAX_LENGTH, IDENTIFIER_RULE, isIdentifier } from '@ipsec-psk/core';
import { z } from 'zod';

// The inputs several tools share. Identifier limits are core's (tested against the spec); min/max also put them
// in the JSON schema clients see, and the error names the field and the rule.

/** A Cloudflare identifier named `field` in errors. */
export function identifier(field: string) {
  const error = `${field} must be ${IDENTIFIER_RULE}`;
  // abort: one broken rule is one message, not the same sentence once per check that failed.
  return z
    .string()
    .min(1, { error, abort: true })
    .max(IDENTIFIER_MAX_LENGTH, { error, abort: true })
    .refine(isIdentifier, { error });
}

export const accountIdInput = identifier('account_id')
  .optional()
  .describe('Cloudflare account id (32 hex characters). Optional when the server has a default account.');

/** Signed tokens are about 210 characters; room to grow, not to carry a document. */
export const CONFIRMATION_TOKEN_MAX_LENGTH = 400;

export const confirmationTokenInput = z
  .string()
  .min(1)
  .max(CONFIRMATION_TOKEN_MAX_LENGTH)
  .optional()
  .describe(
    'Only for the two-step flow: the token from a confirmation_required result, passed after the user agreed.',
  );
