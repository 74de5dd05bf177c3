/**
 * A minimal client for strongSwan's VICI protocol: the control socket of the charon IKE daemon.
 * It covers what rotating an IPsec pre-shared key needs; the protocol itself is described in
 * strongSwan's src/libcharon/plugins/vici/README.md.
 *
 * Design choices:
 * - One connection per call. VICI has no request ids, so after a timeout nobody knows which reply
 *   is still in flight; throwing the connection away is the only safe recovery.
 * - Every call has a deadline and honours an AbortSignal, and its socket is destroyed on every path.
 * - Secrets never reach an error message or the logger. The codec names keys, never values, in its
 *   errors; text that the daemon sends back is scrubbed of the secrets of the call that caused it.
 */
import { performance } from 'node:perf_hooks';
import { Connection } from './connection.js';
import {
  type ControlLogEntry,
  type SecretBytes,
  sanitize,
  ViciCommandError,
  ViciError,
  type ViciErrorCode,
} from './errors.js';
import { type IkeSa, isSection, text, toIkeSa, toLogEntry } from './results.js';
import type { ViciInput, ViciMessage } from './wire.js';

export { type ControlLogEntry, ViciCommandError, ViciError, type ViciErrorCode } from './errors.js';
export type { ChildSa, IkeSa } from './results.js';
export {
  decodeMessage,
  decodePacket,
  encodeMessage,
  encodePacket,
  MAX_SEGMENT_BYTES,
  type Packet,
  PacketType,
  SegmentDecoder,
  type ViciInput,
  type ViciMessage,
  type ViciScalar,
} from './wire.js';

/** One line of the client's own log: never a message's contents. */
export interface ViciLogEntry {
  event: 'request' | 'response' | 'error';
  command: string;
  socketPath: string;
  durationMs?: number;
  code?: ViciErrorCode;
  /** The error's message, already scrubbed of secrets. */
  message?: string;
}
/** Receives one entry per call start and end. Entries never hold message contents. */
export type ViciLogger = (entry: ViciLogEntry) => void;

/** How to reach charon, and the default deadline of a call. */
export interface ViciClientOptions {
  /** Path of charon's vici socket, e.g. /var/run/charon.vici. */
  socketPath: string;
  /** Deadline of a call unless the call says otherwise. Default 10 s. */
  timeoutMs?: number;
  logger?: ViciLogger;
}

/** Per-call deadline and cancellation. */
export interface CallOptions {
  /** Deadline of this call, connect included. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** What `version` reports of the daemon. */
export interface VersionInfo {
  daemon: string;
  version: string;
  sysname: string;
  release: string;
  machine: string;
}

/** A shared secret for `load-shared`. */
export interface SharedKey {
  /** Unique name; loading again under the same id replaces the key in place. */
  id?: string;
  type?: 'IKE' | 'EAP' | 'XAUTH' | 'NTLM' | 'PPK';
  /** The secret itself: the raw bytes, or a string sent as UTF-8. */
  data: string | Uint8Array;
  /** Identities the key is for. Required: charon would otherwise bind the key to any peer. */
  owners: readonly string[];
}

/** Which SAs `list-sas` lists. */
export interface ListSasFilter {
  ike?: string;
  ikeId?: number;
  child?: string;
  childId?: number;
  /** Don't wait for SAs busy in another thread; they are left out of the list. */
  noblock?: boolean;
}

interface ControlOptions {
  /** How long charon waits for the outcome. The call's deadline adds a grace period. Default 10 s. */
  timeoutMs?: number;
  /**
   * Level of the `control-log` events to collect, 0–2. Higher levels are refused: at level 4 charon
   * logs the pre-shared key itself, and at 3 the AUTH MAC that can be brute-forced offline.
   */
  loglevel?: 0 | 1 | 2;
}

/** What `initiate` brings up. */
export interface InitiateRequest extends ControlOptions {
  /** CHILD_SA config to bring up. Without it, charon sets up the IKE_SA alone. */
  child?: string;
  /** IKE_SA config to bring up, or to look the child up in. */
  ike?: string;
  /** Let charon refuse the CHILD_SA when its IKE_SA limits are reached. */
  initLimits?: boolean;
}

/** What `terminate` ends. */
export interface TerminateRequest extends ControlOptions {
  ike?: string;
  ikeId?: number;
  child?: string;
  childId?: number;
  /** Delete the IKE_SA without waiting for the peer's DELETE reply. */
  force?: boolean;
}

/** The control log a command streamed while it ran. */
export interface ControlResult {
  log: ControlLogEntry[];
}

/** How many SAs `terminate` matched and ended. */
export interface TerminateResult extends ControlResult {
  matches: number;
  terminated: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** Room for charon's own "not established after N ms" answer to arrive before our deadline. */
const CONTROL_GRACE_MS = 2_000;
const MAX_CONTROL_LOGLEVEL = 2;

/** The VICI commands key delivery needs (load a key, end and start an SA, list SAs); one socket per call. */
export class ViciClient {
  readonly socketPath: string;
  private readonly timeoutMs: number;
  private readonly logger: ViciLogger | undefined;

  constructor(options: ViciClientOptions) {
    this.socketPath = options.socketPath;
    this.timeoutMs = positiveMs(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeoutMs');
    this.logger = options.logger;
  }

  async version(options?: CallOptions): Promise<VersionInfo> {
    const reply = await this.call('version', options, [], (conn) => conn.request('version'));
    return {
      daemon: text(reply.daemon),
      version: text(reply.version),
      sysname: text(reply.sysname),
      release: text(reply.release),
      machine: text(reply.machine),
    };
  }

  async loadShared(key: SharedKey, options?: CallOptions): Promise<void> {
    if (key.owners.length === 0) throw new TypeError('loadShared needs at least one owner identity');
    const message = { id: key.id, type: key.type ?? 'IKE', data: key.data, owners: key.owners };
    await this.call('load-shared', options, [key.data], async (conn) =>
      checkSuccess('load-shared', await conn.request('load-shared', message)),
    );
  }

  /** charon answers success even when no key has that id. */
  async unloadShared(id: string, options?: CallOptions): Promise<void> {
    await this.call('unload-shared', options, [], async (conn) =>
      checkSuccess('unload-shared', await conn.request('unload-shared', { id })),
    );
  }

  /** Ids of the shared keys loaded over VICI with an id. */
  async getShared(options?: CallOptions): Promise<string[]> {
    const reply = await this.call('get-shared', options, [], (conn) => conn.request('get-shared'));
    return Array.isArray(reply.keys) ? reply.keys : [];
  }

  async listSas(filter: ListSasFilter = {}, options?: CallOptions): Promise<IkeSa[]> {
    const sas: IkeSa[] = [];
    const message = {
      ike: filter.ike,
      'ike-id': filter.ikeId,
      child: filter.child,
      'child-id': filter.childId,
      noblock: filter.noblock ? true : undefined,
    };
    await this.call('list-sas', options, [], (conn) =>
      conn.streamed('list-sas', message, 'list-sa', (event) => {
        for (const [name, sa] of Object.entries(event)) if (isSection(sa)) sas.push(toIkeSa(name, sa));
      }),
    );
    return sas;
  }

  /** Throws ViciCommandError, with the control log, when the SA does not come up. */
  async initiate(request: InitiateRequest, options?: CallOptions): Promise<ControlResult> {
    if (!request.child && !request.ike) throw new TypeError('initiate needs a child or an ike config name');
    const message = {
      child: request.child,
      ike: request.ike,
      'init-limits': request.initLimits,
    };
    const { log } = await this.control('initiate', message, request, options);
    return { log };
  }

  async terminate(request: TerminateRequest, options?: CallOptions): Promise<TerminateResult> {
    if (!request.ike && !request.child && request.ikeId === undefined && request.childId === undefined) {
      throw new TypeError('terminate needs an ike, child, ikeId or childId selector');
    }
    const message = {
      ike: request.ike,
      'ike-id': request.ikeId,
      child: request.child,
      'child-id': request.childId,
      force: request.force,
    };
    const { reply, log } = await this.control('terminate', message, request, options);
    return { matches: Number(reply.matches ?? 0), terminated: Number(reply.terminated ?? 0), log };
  }

  /** Any other command, for which the caller interprets the reply. */
  request(command: string, message: ViciInput = {}, options?: CallOptions): Promise<ViciMessage> {
    return this.call(command, options, [], (conn) => conn.request(command, message));
  }

  /** initiate and terminate: charon streams control-log events and waits up to its own timeout. */
  private async control(
    command: string,
    message: ViciInput,
    request: ControlOptions,
    options: CallOptions | undefined,
  ): Promise<{ reply: ViciMessage; log: ControlLogEntry[] }> {
    const timeoutMs = positiveMs(request.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeoutMs');
    const loglevel = request.loglevel ?? 1;
    if (!Number.isInteger(loglevel) || loglevel < 0 || loglevel > MAX_CONTROL_LOGLEVEL) {
      throw new RangeError(`loglevel must be 0–${MAX_CONTROL_LOGLEVEL}: higher levels log key material`);
    }
    const log: ControlLogEntry[] = [];
    const callOptions = {
      signal: options?.signal,
      timeoutMs: options?.timeoutMs ?? timeoutMs + CONTROL_GRACE_MS,
    };
    const reply = await this.call(command, callOptions, [], async (conn) => {
      const request = { ...message, timeout: timeoutMs, loglevel };
      const response = await conn.streamed(command, request, 'control-log', (event) => {
        log.push(toLogEntry(event));
      });
      return checkSuccess(command, response, log);
    });
    return { reply, log };
  }

  private async call<T>(
    command: string,
    options: CallOptions | undefined,
    secrets: readonly SecretBytes[],
    run: (conn: Connection) => Promise<T>,
  ): Promise<T> {
    const timeoutMs = positiveMs(options?.timeoutMs ?? this.timeoutMs, 'timeoutMs');
    const started = performance.now();
    const deadline = new AbortController();
    const timer = setTimeout(() => {
      deadline.abort(new ViciError('TIMEOUT', `vici ${command} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const signal = options?.signal;
    const onAbort = () => deadline.abort(new ViciError('ABORTED', `vici ${command} aborted`));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });

    this.log({ event: 'request', command, socketPath: this.socketPath });
    let conn: Connection | undefined;
    try {
      conn = await Connection.open(this.socketPath, deadline.signal);
      const result = await run(conn);
      this.log({ event: 'response', command, socketPath: this.socketPath, durationMs: elapsed(started) });
      return result;
    } catch (error) {
      const safe = sanitize(error, secrets);
      this.log({
        event: 'error',
        command,
        socketPath: this.socketPath,
        durationMs: elapsed(started),
        code: safe.code,
        message: safe.message,
      });
      throw safe;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      conn?.close();
    }
  }

  private log(entry: ViciLogEntry): void {
    try {
      this.logger?.(entry);
    } catch {
      // A broken logger must not change the outcome of a call that already happened.
    }
  }
}

/** True when a failed initiate shows the peers disagree on the pre-shared key. */
export function isAuthenticationFailure(error: unknown): boolean {
  // The initiator hears AUTHENTICATION_FAILED from the responder; if it is the one that rejects
  // the peer's AUTH payload, it logs the mismatch itself.
  return (
    error instanceof ViciCommandError &&
    error.log.some((entry) => /AUTHENTICATION_FAILED|MAC mismatched/.test(entry.msg))
  );
}

/** Runs inside a call, so that the call's secrets are scrubbed from the daemon's errmsg. */
function checkSuccess(command: string, reply: ViciMessage, log: ControlLogEntry[] = []): ViciMessage {
  if (reply.success === 'yes') return reply;
  const errmsg = typeof reply.errmsg === 'string' ? reply.errmsg : 'no error message';
  throw new ViciCommandError(command, errmsg, log);
}

function positiveMs(value: number, what: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${what} must be a positive number of ms`);
  return Math.ceil(value);
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
