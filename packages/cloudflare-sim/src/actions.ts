import type { IncomingHttpHeaders } from 'node:http';
import type { RecordedRequest } from './types.js';

/** A request as the transport received it. */
export interface SimHttpRequest {
  /** HTTP method. */
  method: string;
  /** Request target: path and query, as on the request line. */
  url: string;
  /** Request headers (lower-case names). */
  headers: IncomingHttpHeaders;
  /** Request body as UTF-8 text; empty when none. */
  body: string;
}

/** What the transport must do with a request. */
export type SimAction =
  /** Send this answer. */
  | { kind: 'respond'; status: number; headers: Record<string, string>; body: string }
  /** Destroy the connection without answering. */
  | { kind: 'reset' }
  /** Send the status and headers with the full Content-Length, part of the body, then destroy the connection. */
  | { kind: 'truncate'; status: number; headers: Record<string, string>; body: string }
  /** Wait, then (if the client is still there) do what `next()` says; `next` may persist. */
  | { kind: 'delay'; ms: number; next: () => SimAction }
  /**
   * Run the simulator's own asynchronous work (the attachment's hooks), then do what `next()` resolves to. It runs
   * even when the client has left, because a stored key must reach the attachment; it never rejects.
   */
  | { kind: 'await'; next: () => Promise<SimAction> };

/** A handled request: its record (the transport sets `status`) and what to do. */
export interface SimExchange {
  /** The recorded request; the transport sets `status` once it answers. */
  record: RecordedRequest;
  /** What to send. */
  action: SimAction;
}
