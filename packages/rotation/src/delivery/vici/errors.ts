/** Errors of the VICI client, and the scrubbing that keeps secrets out of them. */

export type ViciErrorCode =
  | 'CONNECT' // the socket could not be opened
  | 'CLOSED' // the daemon closed the connection or the socket failed mid-call
  | 'TIMEOUT' // the call's deadline passed
  | 'ABORTED' // the caller's AbortSignal fired
  | 'PROTOCOL' // the daemon sent something that is not valid VICI
  | 'ENCODE' // the request cannot be expressed in VICI (too long a name or value)
  | 'UNKNOWN_COMMAND' // the daemon has no such command (CMD_UNKNOWN)
  | 'UNKNOWN_EVENT' // the daemon has no such event (EVENT_UNKNOWN)
  | 'COMMAND_FAILED' // the daemon answered success = no
  | 'INTERNAL'; // a bug in this client

/** A VICI failure, with a `code`; its message never holds a key. */
export class ViciError extends Error {
  override name = 'ViciError';
  constructor(
    readonly code: ViciErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The daemon ran the command and answered `success = no`. */
export class ViciCommandError extends ViciError {
  override name = 'ViciCommandError';
  constructor(
    readonly command: string,
    /** The daemon's `errmsg`, scrubbed of the call's secrets. */
    readonly errmsg: string,
    /** `control-log` events streamed while the command ran (initiate, terminate). */
    readonly log: readonly ControlLogEntry[] = [],
  ) {
    super('COMMAND_FAILED', `vici ${command} failed: ${errmsg}`);
  }
}

/** One `control-log` event: a line charon logged while running initiate or terminate. */
export interface ControlLogEntry {
  group: string;
  level: number;
  ikeSaName?: string;
  ikeSaUniqueId?: number;
  msg: string;
}

/** A secret as a call carries it: text or raw bytes. */
export type SecretBytes = string | Uint8Array;

const REDACTED = '[REDACTED]';

/**
 * Returns an error fit to throw and log: text the daemon wrote is scrubbed of the secrets, and
 * anything that is not a ViciError is wrapped without its cause, whose text we cannot vouch for.
 */
export function sanitize(error: unknown, secrets: readonly SecretBytes[]): ViciError {
  const forms = secrets.flatMap(secretForms);
  const scrub = (text: string) => forms.reduce((out, form) => out.split(form).join(REDACTED), text);
  if (error instanceof ViciCommandError) {
    if (forms.length === 0) return error;
    const log = error.log.map((entry) => ({ ...entry, msg: scrub(entry.msg) }));
    return new ViciCommandError(error.command, scrub(error.errmsg), log);
  }
  if (error instanceof ViciError) {
    // A fresh error, not a patched message: the stack of the old one repeats the old message.
    const message = scrub(error.message);
    return message === error.message ? error : new ViciError(error.code, message);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ViciError('INTERNAL', `unexpected vici client error: ${scrub(message)}`);
}

/** The forms a secret could take in text: as sent, hex (charon's %B), base64 (swanctl's 0s). */
function secretForms(secret: SecretBytes): string[] {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  if (bytes.length === 0) return [];
  return [bytes.toString('utf8'), bytes.toString('hex'), bytes.toString('base64')];
}
