import { z } from 'zod';
import {
  confirmationOutputShape,
  deliveryOutputSchema,
  healthOutputSchema,
  rotatedSchema,
} from './rotation-output.js';

// rotate_ipsec_psks's output schema: @ipsec-psk/rotation's FleetOutput, described for the model. A type test
// (output-schemas.test-d.ts) keeps the two the same.

/** What happened to one tunnel's new key. */
export const tunnelResultSchema = z
  .enum(['applied', 'not_applied', 'unknown', 'not_sent'])
  .describe(
    'applied: the new key is in force. not_applied: Cloudflare refused it (see reason); the old key still works. ' +
      'unknown: it may or may not be in force (see rotated). not_sent: never sent; the old key still works.',
  );

export const fleetTunnelShape = {
  ipsec_tunnel_id: z.string(),
  tunnel_name: z.string().optional().describe("The tunnel's name as Cloudflare reports it, neutralised."),
  last_generated_on: z.string().optional().describe('When the tunnel key was last generated (ISO 8601).'),
  result: tunnelResultSchema.optional(),
  psk_file: z
    .string()
    .optional()
    .describe(
      'Where the new key is stored (mode 0600); for not_applied and not_sent, the file is marked so.',
    ),
  psk_fingerprint: z.string().optional().describe('A short SHA-256 fingerprint of the new key.'),
  psk: z
    .string()
    .optional()
    .describe('The key itself; present only when the operator set IPSEC_PSK_REVEAL=1.'),
  reason: z
    .string()
    .optional()
    .describe('Why the key was not applied or not sent (Cloudflare’s words, neutralised).'),
  rotated: rotatedSchema
    .optional()
    .describe('For unknown: whether checking back showed the tunnel key changed after the request was sent.'),
  delivery: deliveryOutputSchema.optional(),
  health: healthOutputSchema.optional(),
};

/** The structured result of rotate_ipsec_psks. */
export const fleetOutputShape = {
  status: z
    .enum(['validated', 'confirmation_required', 'declined', 'cancelled', 'completed', 'outcome_unknown'])
    .describe('What happened. completed: every tunnel has a known result; outcome_unknown: some do not.'),
  sandbox: z
    .boolean()
    .describe('True when the server runs against its local simulator: nothing real changed.'),
  account_id: z.string(),
  tunnels: z.array(z.object(fleetTunnelShape)).describe('One entry per tunnel, in the order asked.'),
  applied: z.number().int().optional(),
  not_applied: z.number().int().optional(),
  unknown: z.number().int().optional(),
  not_sent: z.number().int().optional(),
  ...confirmationOutputShape,
  history: z
    .array(z.string())
    .optional()
    .describe('For confirm_via app: earlier rotations of these tunnels from the audit log, for the panel.'),
};
