import type { CallContext, CallKind } from '../call-context.js';
import { hasControlCharacter } from '../credentials.js';
import { isRecord, optionalRecord, optionalString } from '../envelope.js';
import { type CloudflareMessage, PskError } from '../errors.js';
import type { components, operations } from '../generated/openapi.js';
import { assertIdentifier } from '../identifiers.js';
import { parseRateLimit, type RateLimitState } from '../rate-limit-header.js';
import { Secret } from '../secret.js';
import type { ApiCall } from '../transport.js';
import { neutralizeText } from '../untrusted.js';

const PATH = '/accounts/{account_id}/magic/ipsec_tunnels/psk';

type RequestBody = components['schemas']['magic_ipsec_tunnels_psk_request'];
type Result =
  operations['magic-ipsec-tunnels-set-pre-shared-keys-for-ipsec-tunnels']['responses'][200]['content']['application/json']['result'];
type Applied = components['schemas']['magic_ipsec_tunnel_applied_psk'];
const APPLIED = 'successfully_applied_psks' satisfies keyof Result;
const UNAPPLIED = 'unapplied_psks' satisfies keyof Result;
const PSK = 'psk' satisfies keyof Applied;
const IPSEC_ID = 'ipsec_id' satisfies keyof Applied;
const METADATA = 'psk_metadata' satisfies keyof Applied;
const GENERATED_ON = 'last_generated_on' satisfies keyof components['schemas']['magic_psk_metadata'];

/** What an unknown outcome of a set means: unlike Generate PSK, every key that may be in force is the caller's. */
export const SET_PSKS_UNKNOWN_ADVICE =
  'The request may have reached Cloudflare, so some of these tunnels may already use the keys you sent. ' +
  'Those keys are yours: keep them stored, and send the same keys again to settle it.';

/** One tunnel's new key, as the caller provides it (store it before sending). */
export interface PskToSet {
  ipsecTunnelId: string;
  /** The key; a `Secret` keeps it out of logs. */
  psk: Secret | string;
}

/** Arguments of `setIpsecPsks`. */
export interface SetIpsecPsksInput {
  /** The account; default the client's `accountId`. */
  accountId?: string | undefined;
  /** The keys, one per tunnel. */
  psks: readonly PskToSet[];
  /** Only validate (`?validate_only=true`): nothing is persisted. */
  validateOnly?: boolean;
  /**
   * Whether a persisting set is retried on transient failures (network, timeout, 5xx, 429, an unreadable answer);
   * default true. Sending the same keys again is safe: they are the caller's, already stored.
   */
  retry?: boolean;
  /** Aborts the call. */
  signal?: AbortSignal;
}

/** A key Cloudflare applied. */
export interface PskApplied {
  ipsecTunnelId: string;
  /** The key now in force: the one Cloudflare echoes, which should be the one sent (see `echoMatches`). */
  psk: Secret;
  /** False when Cloudflare echoed a different key than the one sent: store `psk`, it is the one in force. */
  echoMatches: boolean;
  /** When the key was applied, if Cloudflare said. */
  lastGeneratedOn: string | undefined;
  /** The IKE identifier of the tunnel on Cloudflare's edge, if Cloudflare said. */
  ipsecId: string | undefined;
}

/** A key Cloudflare did not apply: the tunnel's old key still works. */
export interface PskUnapplied {
  ipsecTunnelId: string;
  /** Cloudflare's reason, neutralised. */
  reason: string;
}

/** What a set came to, per tunnel. */
export interface PsksSet {
  validateOnly: boolean;
  accountId: string;
  applied: PskApplied[];
  unapplied: PskUnapplied[];
  /** Tunnels sent that the answer names in neither map: their outcome is unknown. */
  unreported: string[];
  /** Cloudflare's informational `messages[]`. */
  messages: CloudflareMessage[];
  /** What is left of the account's API budget, when Cloudflare said (`Ratelimit`). */
  rateLimit?: RateLimitState | undefined;
}

function invalid(field: string, problem: string): PskError {
  return new PskError(`${field} ${problem}.`, { code: 'invalid_input', outcome: 'not_executed', field });
}

function checkPsks(psks: readonly PskToSet[] | undefined): { id: string; psk: string }[] {
  if (!Array.isArray(psks) || psks.length === 0)
    throw invalid('psks', 'must list at least one tunnel and its key');
  const seen = new Set<string>();
  return psks.map((entry, index) => {
    const id = assertIdentifier(`psks[${index}].ipsecTunnelId`, entry?.ipsecTunnelId);
    if (seen.has(id)) throw invalid(`psks[${index}].ipsecTunnelId`, 'names a tunnel listed before');
    seen.add(id);
    const psk = entry.psk instanceof Secret ? entry.psk.reveal() : entry.psk;
    // The message names the field, never the value: it is a key.
    if (typeof psk !== 'string' || psk.length === 0)
      throw invalid(`psks[${index}].psk`, 'must be a non-empty string');
    if (hasControlCharacter(psk) || psk.trim() !== psk) {
      throw invalid(`psks[${index}].psk`, 'has surrounding whitespace or a control character');
    }
    return { id, psk };
  });
}

const records = (value: unknown): [string, unknown][] => (isRecord(value) ? Object.entries(value) : []);

/**
 * "Set PSKs": the caller's keys for several tunnels in one request. Validate first; send only keys already stored.
 * An unknown outcome is resolved by sending the same keys again, which this retries by itself unless told not to.
 */
export async function setIpsecPsks(context: CallContext, input: SetIpsecPsksInput): Promise<PsksSet> {
  const accountId = context.accountFor(input.accountId);
  const entries = checkPsks(input.psks);
  const validateOnly = input.validateOnly === true;
  const operation = validateOnly ? 'Validating setting PSKs' : 'Setting PSKs';
  const kind: CallKind = {
    persisting: !validateOnly,
    keyBearing: true,
    keys: entries.map((entry) => entry.psk),
    unknownAdvice: SET_PSKS_UNKNOWN_ADVICE,
  };
  const body: RequestBody = { psks: entries };
  const send: ApiCall = ({ signal, middleware }) =>
    context.api().POST(PATH, {
      params: {
        path: { account_id: accountId },
        ...(validateOnly ? { query: { validate_only: true } } : {}),
      },
      body,
      signal,
      redirect: 'manual',
      parseAs: 'stream',
      middleware,
    });

  const sent = new Map(entries.map((entry) => [entry.id, entry.psk]));
  const attempt = async (): Promise<PsksSet> => {
    const { raw, envelope } = await context.receive(send, input.signal, operation, kind);
    if (envelope?.success !== true || !envelope.result) {
      throw context.invalidResponse(raw, operation, kind, 'the body is not a successful envelope');
    }
    const applied: PskApplied[] = [];
    for (const [id, value] of records(envelope.result[APPLIED])) {
      const own = sent.get(id);
      // A tunnel this request did not name is no outcome of it.
      if (own === undefined) continue;
      const record = isRecord(value) ? value : undefined;
      const echoed = optionalString(record, PSK);
      applied.push({
        ipsecTunnelId: id,
        psk: new Secret(echoed ?? own),
        echoMatches: echoed === undefined || echoed === own,
        lastGeneratedOn: optionalString(optionalRecord(record, METADATA), GENERATED_ON),
        ipsecId: optionalString(record, IPSEC_ID),
      });
    }
    const unapplied = records(envelope.result[UNAPPLIED])
      .filter(([id]) => sent.has(id))
      .map(([id, reason]) => ({
        ipsecTunnelId: id,
        reason: neutralizeText(typeof reason === 'string' ? reason : 'no reason given', 300),
      }));
    const named = new Set([...applied.map((a) => a.ipsecTunnelId), ...unapplied.map((u) => u.ipsecTunnelId)]);
    return {
      validateOnly,
      accountId,
      applied,
      unapplied,
      unreported: entries.map((entry) => entry.id).filter((id) => !named.has(id)),
      messages: envelope.messages,
      rateLimit: parseRateLimit(raw.headers.get('ratelimit')),
    };
  };

  return validateOnly || input.retry !== false ? context.retrying(input.signal, attempt) : attempt();
}
