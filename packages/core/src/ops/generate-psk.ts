import { approvePersisting } from '../api-client.js';
import type { CallContext, CallKind } from '../call-context.js';
import { optionalRecord, optionalString } from '../envelope.js';
import type { CloudflareMessage } from '../errors.js';
import type { components, operations } from '../generated/openapi.js';
import { assertIdentifier } from '../identifiers.js';
import { Secret } from '../secret.js';
import type { ApiCall } from '../transport.js';

const PATH = '/accounts/{account_id}/magic/ipsec_tunnels/{ipsec_tunnel_id}/psk_generate';

// The fields read from answers, checked against the generated types: a field renamed in the spec fails to compile.
type Result =
  operations['magic-ipsec-tunnels-generate-pre-shared-key-(-psk)-for-ipsec-tunnels']['responses'][200]['content']['application/json']['result'];
const PSK = 'psk' satisfies keyof Result;
const TUNNEL_ID = 'ipsec_tunnel_id' satisfies keyof Result;
const METADATA = 'psk_metadata' satisfies keyof Result;
const GENERATED_ON = 'last_generated_on' satisfies keyof components['schemas']['magic_psk_metadata'];

/** Arguments of `generateIpsecPsk`. */
export interface GenerateIpsecPskInput {
  /** The account; default the client's `accountId`. */
  accountId?: string | undefined;
  /** The IPsec tunnel whose key is replaced. */
  ipsecTunnelId: string;
  /** Only validate (`?validate_only=true`): nothing is persisted and no key is returned. */
  validateOnly?: boolean;
  /** Aborts the call. Aborting a persisting call after it was sent leaves the outcome unknown. */
  signal?: AbortSignal;
}

/** A validate-only call that passed: nothing was changed. */
export interface PskValidated {
  validateOnly: true;
  accountId: string;
  ipsecTunnelId: string;
  /** When the tunnel's current key was generated, if Cloudflare said. */
  lastGeneratedOn: string | undefined;
  /** Cloudflare's informational `messages[]`. */
  messages: CloudflareMessage[];
}

/** A new key, already persisted at Cloudflare: this is the only copy, so store it before anything else. */
export interface PskGenerated {
  validateOnly: false;
  accountId: string;
  ipsecTunnelId: string;
  /** The new key, printed as `[redacted]`; `psk.reveal()` returns it. */
  psk: Secret;
  /** When the new key was generated, if Cloudflare said. */
  lastGeneratedOn: string | undefined;
  /** Cloudflare's informational `messages[]`. */
  messages: CloudflareMessage[];
}

/** psk_generate: sent once when persisting (never retried), retried when only validating. */
export async function generateIpsecPsk(
  context: CallContext,
  input: GenerateIpsecPskInput,
): Promise<PskGenerated | PskValidated> {
  const accountId = context.accountFor(input.accountId);
  const ipsecTunnelId = assertIdentifier('ipsecTunnelId', input.ipsecTunnelId);
  const validateOnly = input.validateOnly === true;
  const operation = validateOnly ? 'Validating PSK generation' : 'PSK generation';
  const kind: CallKind = { persisting: !validateOnly, keyBearing: true };
  const path = { account_id: accountId, ipsec_tunnel_id: ipsecTunnelId };
  const send: ApiCall = ({ signal, middleware }) =>
    context.api().POST(PATH, {
      params: validateOnly ? { path, query: { validate_only: true } } : approvePersisting({ path }),
      body: {},
      signal,
      redirect: 'manual',
      parseAs: 'stream',
      middleware,
    });

  const attempt = async (): Promise<PskGenerated | PskValidated> => {
    const { raw, envelope } = await context.receive(send, input.signal, operation, kind);
    if (!envelope) throw context.invalidResponse(raw, operation, kind, 'the body is not a JSON object');
    const lastGeneratedOn = optionalString(optionalRecord(envelope.result, METADATA), GENERATED_ON);
    const tunnelId = optionalString(envelope.result, TUNNEL_ID) ?? ipsecTunnelId;
    if (validateOnly) {
      if (envelope.success !== true) {
        throw context.invalidResponse(raw, operation, kind, 'the envelope does not say success');
      }
      // A validate-only answer may carry a key that was never persisted; it must not be mistaken for one.
      return {
        validateOnly: true,
        accountId,
        ipsecTunnelId: tunnelId,
        lastGeneratedOn,
        messages: envelope.messages,
      };
    }
    const psk = optionalString(envelope.result, PSK);
    // A key in a 2xx is returned whatever else is odd about the envelope: dropping it would lose the only copy.
    if (psk === undefined || psk.length === 0) {
      throw context.invalidResponse(raw, operation, kind, 'the response carries no PSK');
    }
    return {
      validateOnly: false,
      accountId,
      ipsecTunnelId: tunnelId,
      psk: new Secret(psk),
      lastGeneratedOn,
      messages: envelope.messages,
    };
  };

  return validateOnly ? context.retrying(input.signal, attempt) : attempt();
}
