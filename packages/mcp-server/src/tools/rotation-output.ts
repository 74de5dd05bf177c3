import { z } from 'zod';

// generate_ipsec_psk's output schema: @ipsec-psk/rotation's RotationOutput, described for the model. A type test
// (output-schemas.test-d.ts) keeps the two the same.

/** Whether checking back showed the key was replaced. */
export const rotatedSchema = z.enum(['yes', 'no', 'unknown']);

/** How a confirmation_required result says who answers, and how: shared by both rotation tools. */
export const confirmationOutputShape = {
  confirm_via: z
    .enum(['app', 'token'])
    .optional()
    .describe(
      'For confirmation_required: the user answers in the panel shown with this result (app), or you ask them (token).',
    ),
  confirmation_token: z.string().optional().describe('Pass back after the user agreed (two-step flow).'),
  confirmation_id: z
    .string()
    .optional()
    .describe('The panel’s confirmation (app); it confirms nothing by itself.'),
  expires_at: z.string().optional().describe('When the confirmation expires (ISO 8601).'),
};

/** What became of delivering a new key to its customer device (the operator's delivery configuration). */
export const deliveryOutputSchema = z
  .object({
    target: z.string().describe('The delivery target as the operator named it; "none" when none matched.'),
    kind: z
      .enum(['strongswan', 'command', 'config'])
      .optional()
      .describe('strongswan and command reach the device; config only writes text for a person to apply.'),
    result: z
      .enum(['delivered', 'failed', 'skipped'])
      .describe(
        'delivered: the target took the key. failed: it did not, and the tunnel is down until the device has ' +
          'the key. skipped: not delivered (no target, or the outcome is unknown).',
      ),
    detail: z.string().optional().describe('What was done, or why not (the server’s words).'),
    config_file: z
      .string()
      .optional()
      .describe('Configuration text for the device, with the key, in a 0600 file; never show its content.'),
    ike_up: z.boolean().optional().describe('For a strongSwan target: whether the IKE SA came up.'),
    previous_key_held: z
      .boolean()
      .optional()
      .describe('For failed: whether this machine holds the previous key (the operator can put it back).'),
    previous_key_file: z.string().optional(),
    previous_key_fingerprint: z.string().optional(),
  })
  .describe(
    'Delivery of the new key to the customer device; present only when the operator configured delivery.',
  );

/** Whether Cloudflare sees the tunnel up again (its health checks, read with a bounded wait). */
export const healthOutputSchema = z
  .object({
    state: z
      .enum(['up', 'down', 'unknown'])
      .describe(
        'unknown is not down: Cloudflare’s data runs behind; ask again with check_ipsec_tunnel_health.',
      ),
    detail: z.string().describe('Why (the server’s words).'),
    checked_at: z.string().describe('When (ISO 8601).'),
    colos: z.number().int().min(0).optional().describe('How many Cloudflare data centres reported.'),
  })
  .describe('Cloudflare’s view of the tunnel after the key reached its device.');

/** The structured result of generate_ipsec_psk and of the panel's answer (snake_case, as MCP results are). */
export const rotationOutputShape = {
  status: z
    .enum(['validated', 'confirmation_required', 'declined', 'cancelled', 'generated', 'outcome_unknown'])
    .describe('What happened.'),
  sandbox: z
    .boolean()
    .describe('True when the server runs against its local simulator: nothing real changed.'),
  account_id: z.string(),
  ipsec_tunnel_id: z.string(),
  tunnel_name: z.string().optional().describe("The tunnel's name as Cloudflare reports it, neutralised."),
  last_generated_on: z.string().optional().describe('When the tunnel key was last generated (ISO 8601).'),
  psk_file: z.string().optional().describe('Where the new key was stored (mode 0600).'),
  psk_fingerprint: z.string().optional().describe('A short SHA-256 fingerprint of the new key.'),
  psk: z
    .string()
    .optional()
    .describe('The key itself; present only when the operator set IPSEC_PSK_REVEAL=1.'),
  ...confirmationOutputShape,
  history: z.array(z.string()).optional().describe('Earlier rotations of this tunnel, from the audit log.'),
  rotated: rotatedSchema
    .optional()
    .describe('For outcome_unknown: whether checking back showed the key was replaced.'),
  recovery: z
    .object({
      tool: z.literal('rotate_ipsec_psks'),
      arguments: z.object({ account_id: z.string(), ipsec_tunnel_ids: z.array(z.string()) }),
    })
    .optional()
    .describe(
      'For outcome_unknown when the key may be lost: the call that sets a key made and stored here (the user confirms it).',
    ),
  messages: z.array(z.object({ code: z.number(), message: z.string() })).optional(),
  reveal_available: z
    .boolean()
    .optional()
    .describe('In the panel’s answer only: whether Reveal key will work.'),
  delivery: deliveryOutputSchema.optional(),
  health: healthOutputSchema.optional(),
};
