import type { CallContext, CallKind } from '../call-context.js';
import { isRecord, optionalRecord, optionalString } from '../envelope.js';
import type { components, operations } from '../generated/openapi.js';
import { assertIdentifier } from '../identifiers.js';
import type { ApiCall } from '../transport.js';
import { type TunnelFacts, tunnelFacts } from './tunnel-facts.js';

const ONE = '/accounts/{account_id}/magic/ipsec_tunnels/{ipsec_tunnel_id}';
const ALL = '/accounts/{account_id}/magic/ipsec_tunnels';

/** An IPsec tunnel as the spec describes it. */
export type IpsecTunnel = components['schemas']['magic_ipsec-tunnel'];

type OneResult =
  operations['magic-ipsec-tunnels-list-ipsec-tunnel-details']['responses'][200]['content']['application/json']['result'];
type AllResult =
  operations['magic-ipsec-tunnels-list-ipsec-tunnels']['responses'][200]['content']['application/json']['result'];
const TUNNEL = 'ipsec_tunnel' satisfies keyof OneResult;
const TUNNELS = 'ipsec_tunnels' satisfies keyof AllResult;
const ID = 'id' satisfies keyof IpsecTunnel;
const NAME = 'name' satisfies keyof IpsecTunnel;
const DESCRIPTION = 'description' satisfies keyof IpsecTunnel;
const METADATA = 'psk_metadata' satisfies keyof IpsecTunnel;
const GENERATED_ON = 'last_generated_on' satisfies keyof components['schemas']['magic_psk_metadata'];

/**
 * The tunnel details a rotation needs, the validated facts delivering a key to the device needs (`TunnelFacts`:
 * each undefined unless Cloudflare's value has the documented shape), and the whole typed record.
 */
export interface IpsecTunnelDetails extends TunnelFacts {
  id: string;
  /** The tunnel's name as Cloudflare sent it: API text, neutralise it before showing it (`neutralizeText`). */
  name: string;
  /** The tunnel's description, if any, as Cloudflare sent it. */
  description: string | undefined;
  /** When the tunnel's key was last generated; compare before and after to tell whether a rotation happened. */
  lastGeneratedOn: string | undefined;
  /** The record as Cloudflare sent it, unvalidated: prefer the facts above. */
  tunnel: IpsecTunnel;
}

/** Arguments of `getIpsecTunnel`. */
export interface GetIpsecTunnelInput {
  /** The account; default the client's `accountId`. */
  accountId?: string | undefined;
  /** The IPsec tunnel. */
  ipsecTunnelId: string;
  /** Aborts the call. */
  signal?: AbortSignal;
}

/** Arguments of `listIpsecTunnels`. */
export interface ListIpsecTunnelsInput {
  /** The account; default the client's `accountId`. */
  accountId?: string | undefined;
  /** Aborts the call. */
  signal?: AbortSignal;
}

const READ: CallKind = { persisting: false, keyBearing: false };

/** A tunnel record as read, or undefined when it lacks an id or a name. */
function details(record: Record<string, unknown> | undefined): IpsecTunnelDetails | undefined {
  const id = optionalString(record, ID);
  const name = optionalString(record, NAME);
  if (!record || id === undefined || name === undefined) return undefined;
  return {
    id,
    name,
    description: optionalString(record, DESCRIPTION),
    lastGeneratedOn: optionalString(optionalRecord(record, METADATA), GENERATED_ON),
    ...tunnelFacts(record),
    tunnel: record as unknown as IpsecTunnel,
  };
}

/** Reads one tunnel. Retried like validate-only calls: it changes nothing. */
export async function getIpsecTunnel(
  context: CallContext,
  input: GetIpsecTunnelInput,
): Promise<IpsecTunnelDetails> {
  const accountId = context.accountFor(input.accountId);
  const ipsecTunnelId = assertIdentifier('ipsecTunnelId', input.ipsecTunnelId);
  const operation = 'Reading the IPsec tunnel';
  const send: ApiCall = ({ signal, middleware }) =>
    context.api().GET(ONE, {
      params: { path: { account_id: accountId, ipsec_tunnel_id: ipsecTunnelId } },
      signal,
      parseAs: 'stream',
      middleware,
    });
  return context.retrying(input.signal, async () => {
    const { raw, envelope } = await context.receive(send, input.signal, operation, READ);
    const tunnel = envelope?.success === true ? details(optionalRecord(envelope.result, TUNNEL)) : undefined;
    if (!tunnel) throw context.invalidResponse(raw, operation, READ, 'the body is not a tunnel envelope');
    return tunnel;
  });
}

/** Lists the account's tunnels. Retried like validate-only calls: it changes nothing. */
export async function listIpsecTunnels(
  context: CallContext,
  input: ListIpsecTunnelsInput = {},
): Promise<IpsecTunnelDetails[]> {
  const accountId = context.accountFor(input.accountId);
  const operation = 'Listing the IPsec tunnels';
  const send: ApiCall = ({ signal, middleware }) =>
    context
      .api()
      .GET(ALL, { params: { path: { account_id: accountId } }, signal, parseAs: 'stream', middleware });
  return context.retrying(input.signal, async () => {
    const { raw, envelope } = await context.receive(send, input.signal, operation, READ);
    const list = envelope?.success === true ? envelope.result?.[TUNNELS] : undefined;
    if (!Array.isArray(list))
      throw context.invalidResponse(raw, operation, READ, 'the body is not a tunnel list');
    const tunnels = list.map((entry) => details(isRecord(entry) ? entry : undefined));
    // A list that holds records without an id or a name is not one to act on: a tunnel would silently be missing.
    if (tunnels.some((tunnel) => tunnel === undefined)) {
      throw context.invalidResponse(raw, operation, READ, 'some tunnels in the list have no id or name');
    }
    return tunnels as IpsecTunnelDetails[];
  });
}
