import type { IpsecTunnelDetails, PskClient } from '@ipsec-psk/core';
import {
  describeListing,
  FLEET_MAX,
  type KnownTunnels,
  NAME_MAX_LENGTH,
  type TunnelFilter,
  type TunnelListing,
} from '@ipsec-psk/rotation';
import { UsageError } from './args.js';

const isId = (value: string) => /^[0-9a-f]{32}$/i.test(value);

/**
 * The account's tunnels, read at most once per run: choosing tunnels by name or key age and the rotation's
 * question use the same list (a second read would be one more request, and could disagree with the first).
 */
export class AccountTunnels {
  private read: Promise<KnownTunnels> | undefined;

  constructor(
    private readonly client: PskClient,
    readonly accountId: string,
  ) {}

  /** The list as read, if it was. */
  async known(): Promise<KnownTunnels | undefined> {
    return this.read;
  }

  private all(): Promise<KnownTunnels> {
    this.read ??= (async () => {
      const readAt = Date.now();
      const tunnels: readonly IpsecTunnelDetails[] = await this.client.listIpsecTunnels({
        accountId: this.accountId,
      });
      return { tunnels, readAt };
    })();
    return this.read;
  }

  async listing(filter: TunnelFilter): Promise<TunnelListing> {
    return describeListing((await this.all()).tunnels, this.accountId, filter, new Date());
  }

  /** Tunnel arguments as ids: a 32-hex id as given, anything else as an exact name looked up in the list. */
  async resolve(given: readonly string[]): Promise<string[]> {
    if (given.every(isId)) return checkCount(given.map((id) => id.toLowerCase()));
    const listing = await this.listing({});
    return checkCount(
      given.map((value) => {
        if (isId(value)) return value.toLowerCase();
        if (value.length > NAME_MAX_LENGTH)
          throw new UsageError(`a tunnel name is at most ${NAME_MAX_LENGTH} characters`);
        const named = listing.tunnels.filter((tunnel) => tunnel.tunnel_name === value);
        if (named.length === 1) return named[0]?.ipsec_tunnel_id ?? '';
        throw new UsageError(
          named.length === 0
            ? `no tunnel in account ${this.accountId} is named ${JSON.stringify(value)} (see ipsec-psk list)`
            : `${named.length} tunnels are named ${JSON.stringify(value)}: ${named.map((t) => t.ipsec_tunnel_id).join(', ')}; pass the id`,
        );
      }),
    );
  }

  /** The ids of the tunnels a filter chooses. */
  async chosen(filter: TunnelFilter): Promise<string[]> {
    return checkCount((await this.listing(filter)).tunnels.map((tunnel) => tunnel.ipsec_tunnel_id));
  }
}

function checkCount(ids: string[]): string[] {
  if (ids.length > FLEET_MAX) {
    throw new UsageError(
      `${ids.length} tunnels chosen; one run rotates at most ${FLEET_MAX}: narrow it with --name or --older-than`,
    );
  }
  return ids;
}
