import { createEngine, type EngineOptions, type RotationEngine } from './engine.js';
import type { FleetAnswer, KnownTunnels } from './fleet/fleet-prepare.js';
import type { OnProgress } from './fleet/fleet-send.js';
import type { AskedVia, AskLater, ConfirmAnswer, Confirmer, RotationAnswer } from './types.js';

/** An answer once the flow is done: a rotator asks through its callback, so it never hands a question back. */
export type Settled<A> = Exclude<A, { ask: AskLater }>;

/** Asks a person whether to go ahead: `true` or `'accept'` rotates; anything else sends nothing. */
export type ConfirmCallback = (
  question: string,
) => boolean | ConfirmAnswer | Promise<boolean | ConfirmAnswer>;

/** What `createRotator` needs: the engine's options, and how to ask the person who decides. */
export interface RotatorOptions
  extends Omit<EngineOptions, 'confirmMode' | 'appReveal' | 'confirmationTtlMs' | 'principal'> {
  /**
   * Called with the full question (the tunnels, what Cloudflare reports of them, earlier rotations from the audit
   * log) before every real rotation, after validation passed. Only `true` or `'accept'` rotates.
   */
  confirm: ConfirmCallback;
  /** How the question reaches its person, for the audit log; default `callback`. */
  confirmedVia?: AskedVia | undefined;
}

/** One tunnel to rotate; `accountId` defaults to the rotator's `defaultAccountId`. */
export interface TunnelRequest {
  accountId?: string | undefined;
  tunnelId: string;
  /** Only check that Cloudflare would accept the rotation: nothing changes, nobody is asked. */
  validateOnly?: boolean | undefined;
}

/** Several tunnels to rotate with one confirmation. */
export interface TunnelsRequest {
  accountId?: string | undefined;
  tunnelIds: readonly string[];
  validateOnly?: boolean | undefined;
  /** Told after each request and while waiting for Cloudflare's rate limit. */
  onProgress?: OnProgress | undefined;
  /** The account's tunnels as just read (to choose them), so the rotation does not read them again. */
  known?: KnownTunnels | undefined;
}

/** One tunnel whose previous key to put back. */
export interface RestoreRequest {
  accountId?: string | undefined;
  tunnelId: string;
  onProgress?: OnProgress | undefined;
}

/** The safe rotation for a program: every call validates, asks `confirm`, then rotates at most once. */
export interface Rotator {
  /** Generate PSK for one tunnel: the new key is made by Cloudflare and stored here before this resolves. */
  rotateTunnel(request: TunnelRequest): Promise<Settled<RotationAnswer>>;
  /** Set PSKs for several tunnels: the keys are made and stored here before they are sent. */
  rotateTunnels(request: TunnelsRequest): Promise<Settled<FleetAnswer>>;
  /**
   * The way back after a failed delivery: the key in force before the tunnel's current one, if a rotation on this
   * machine stored it, set again with Set PSKs after `confirm` agreed (stored under a new file first; audit lines
   * `set_psks` with `restore_of`). An error says plainly when no previous key is held here.
   */
  restorePreviousKey(request: RestoreRequest): Promise<Settled<FleetAnswer>>;
  /** The flows underneath, for what this interface does not cover. */
  readonly engine: RotationEngine;
  /** Resolves when no rotation is running: wait for it before exiting, so a key in flight is stored. */
  idle(): Promise<void>;
}

/** The callback always answers in place (a form-later flow is the MCP server's), so a question never comes back. */
function settled<A extends object>(answer: A): Settled<A> {
  if ('ask' in answer)
    return { error: 'The confirmation was not asked through the callback; nothing was sent.' } as Settled<A>;
  return answer as Settled<A>;
}

function confirmer(confirm: ConfirmCallback, via: AskedVia): Confirmer {
  return {
    canAsk: true,
    canShowApp: false,
    via,
    async ask(question) {
      const answer = await confirm(question);
      if (answer === true || answer === 'accept') return 'accept';
      return answer === 'cancel' ? 'cancel' : 'decline';
    },
  };
}

/**
 * The rotation engine with the confirmation as a callback: the guarantees of the command line and the MCP server
 * (one persisting request per confirmed intent, the key stored before anyone is told, per-tunnel locks across
 * processes, an audit line for every step, check-back after an unknown outcome), from a program.
 */
export function createRotator(options: RotatorOptions): Rotator {
  const engine = createEngine({ ...options, confirmMode: 'elicit' });
  const ask = confirmer(options.confirm, options.confirmedVia ?? 'callback');
  return {
    engine,
    rotateTunnel: async (request) =>
      settled(
        await engine.rotation.run(
          {
            account_id: request.accountId,
            ipsec_tunnel_id: request.tunnelId,
            validate_only: request.validateOnly,
          },
          ask,
        ),
      ),
    rotateTunnels: async (request) =>
      settled(
        await engine.fleet.run(
          {
            account_id: request.accountId,
            ipsec_tunnel_ids: request.tunnelIds,
            validate_only: request.validateOnly,
            known: request.known,
          },
          ask,
          request.onProgress,
        ),
      ),
    restorePreviousKey: async (request) =>
      settled(
        await engine.restore.run(
          { account_id: request.accountId, ipsec_tunnel_id: request.tunnelId },
          ask,
          request.onProgress,
        ),
      ),
    idle: () => engine.idle(),
  };
}
