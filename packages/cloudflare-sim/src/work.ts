import type { PskChange } from './attachment.js';
import { successEnvelope } from './envelope.js';
import { applyPsks, type PskEntry, type Unapply } from './set-psks.js';
import { generatePsk, type SimState, type TunnelRecord } from './state.js';
import type { RecordedRequest, SimOperation } from './types.js';
import { pskMetadata, tunnelView, type ViewOptions } from './views.js';

/** A success envelope as the simulator sends it. */
export type SuccessBody = ReturnType<typeof successEnvelope<Record<string, unknown>>>;

/**
 * What a request that passed every check does. Faults decide whether the change is stored before they act, so
 * storing is a parameter rather than a side effect of building the answer.
 */
export interface Work<Body = SuccessBody> {
  /** The 200 body; with `store`, a persisting call stores its change first and marks the record persisted. */
  run(store: boolean): Body;
  /** The body `run` made, without its keys (on reads: without `psk_metadata`), for the omit-psk fault. */
  withoutPsk(body: Body): Body;
}

/** Everything an operation needs once its account (and tunnel, if it names one) is known to exist. */
export interface WorkContext {
  /** The request, whose `persisted` flag the work sets. */
  record: RecordedRequest;
  /** Accounts and tunnels. */
  state: SimState;
  /** The clock. */
  now: () => Date;
  /** The account from the path. */
  accountId: string;
  /** The tunnel from the path; set for `psk_generate` and `get_tunnel`. */
  tunnel: TunnelRecord | undefined;
  /** The `set_psks` entries from the body. */
  entries: readonly PskEntry[];
  /** Tunnels an `unapply` fault keeps from being applied. */
  unapply: Unapply | undefined;
  /** Where the work lists each key it stored, for the attachment's `pskChanged`. */
  changed: PskChange[];
}

/** The operations whose work is a tunnel read or a key change (the health query has its own, in graphql/). */
export type TunnelOperation = Exclude<SimOperation, 'graphql'>;

/** The work of one operation. */
export function workFor(operation: TunnelOperation, context: WorkContext): Work {
  switch (operation) {
    case 'get_tunnel':
      return getTunnel(context, requireTunnel(context));
    case 'list_tunnels':
      return listTunnels(context);
    case 'psk_generate':
      return pskGenerate(context, requireTunnel(context));
    case 'set_psks':
      return setPsks(context);
  }
}

function requireTunnel(context: WorkContext): TunnelRecord {
  if (!context.tunnel) throw new Error('the handler resolves the tunnel before the work');
  return context.tunnel;
}

/** How the request asks for tunnels to be shown: the `x-magic-new-hc-target` header picks the target's shape. */
function viewOptions(record: RecordedRequest): ViewOptions {
  return { objectTarget: record.headers['x-magic-new-hc-target'] === 'true' };
}

function getTunnel({ record }: WorkContext, tunnel: TunnelRecord): Work {
  return {
    run: () => successEnvelope({ ipsec_tunnel: tunnelView(tunnel, viewOptions(record)) }),
    // A tunnel carries no psk; dropping its psk_metadata removes what a check-back relies on instead.
    withoutPsk: (body) => successEnvelope({ ipsec_tunnel: withoutMetadata(body.result.ipsec_tunnel) }),
  };
}

function listTunnels({ record, state, accountId }: WorkContext): Work {
  return {
    run: () =>
      successEnvelope({
        ipsec_tunnels: state.tunnels(accountId).map((tunnel) => tunnelView(tunnel, viewOptions(record))),
      }),
    withoutPsk: (body) =>
      successEnvelope({ ipsec_tunnels: (body.result.ipsec_tunnels as unknown[]).map(withoutMetadata) }),
  };
}

function pskGenerate({ record, state, now, changed }: WorkContext, tunnel: TunnelRecord): Work {
  return {
    run(store) {
      if (store && !record.validateOnly) {
        state.rotate(tunnel, now());
        record.persisted = true;
        changed.push({ tunnel, psk: tunnel.psk ?? '' });
      }
      // The spec requires `psk` in every 200, but validate-only (or an unpersisted fault) must store nothing:
      // such answers carry a fresh key that is never saved, so the tunnel's real key stays unchanged and secret.
      const psk = record.persisted ? tunnel.psk : generatePsk();
      return successEnvelope({ ipsec_tunnel_id: tunnel.id, psk, psk_metadata: pskMetadata(tunnel) });
    },
    withoutPsk: (body) => successEnvelope(without(body.result, 'psk')),
  };
}

function setPsks({ record, state, now, accountId, entries, unapply, changed }: WorkContext): Work {
  return {
    run(store) {
      // Unstored answers (validate-only, or a fault acting first) still report both maps, as a dry run does.
      const { result, stored } = applyPsks(state, accountId, entries, {
        store: store && !record.validateOnly,
        now: now(),
        unapply,
      });
      if (stored.length > 0) record.persisted = true;
      changed.push(...stored.map((tunnel) => ({ tunnel, psk: tunnel.psk ?? '' })));
      return successEnvelope({ ...result });
    },
    withoutPsk(body) {
      const applied = body.result.successfully_applied_psks as Record<string, Record<string, unknown>>;
      const stripped = Object.entries(applied).map(([id, entry]) => [id, without(entry, 'psk')] as const);
      return successEnvelope({ ...body.result, successfully_applied_psks: Object.fromEntries(stripped) });
    },
  };
}

function withoutMetadata(tunnel: unknown): Record<string, unknown> {
  return without(tunnel as Record<string, unknown>, 'psk_metadata');
}

function without(object: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy = { ...object };
  delete copy[key];
  return copy;
}
