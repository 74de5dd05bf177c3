import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SimAction } from './actions.js';
import { ErrorCode, errorEnvelope } from './envelope.js';
import { SimHandler } from './handler.js';
import { BASE_PATH } from './routes.js';
import type { RecordedRequest, Simulator, SimulatorOptions } from './types.js';

/** Bodies beyond this are refused unread; far more than `set_psks` needs for every tunnel of an account. */
const MAX_BODY_BYTES = 1024 * 1024;

/** Start a simulator listening on `options.host:options.port` (default 127.0.0.1, an ephemeral port). */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const handler = new SimHandler(options);
  const sockets = new Set<Socket>();
  const closing = new AbortController();
  const server = createServer((req, res) => {
    serve(handler, req, res, closing.signal, options.latencyMs ?? 0).catch((error: unknown) => {
      handler.specViolations.push(
        `simulator failure: ${error instanceof Error ? error.message : String(error)}`,
      );
      if (!res.headersSent && !res.destroyed)
        send(res, 500, errorBody(ErrorCode.internal, 'Internal server error'));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${BASE_PATH}`;

  return {
    url,
    get requests() {
      return handler.requests;
    },
    get specViolations() {
      return handler.specViolations;
    },
    count: (filter) => handler.count(filter),
    tunnel: (accountId, tunnelId) => handler.state.snapshot(accountId, tunnelId),
    inject: (fault) => handler.inject(fault),
    clearFaults: () => handler.faults.clear(),
    setTunnelState: (accountId, tunnelId, state) => handler.setTunnelState(accountId, tunnelId, state),
    close() {
      // Idempotent, so a test's afterEach may close a simulator the test already closed.
      closed ??= new Promise<void>((resolve, reject) => {
        closing.abort();
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive connections would otherwise hold close() open until they time out.
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}

async function serve(
  handler: SimHandler,
  req: IncomingMessage,
  res: ServerResponse,
  closing: AbortSignal,
  latencyMs: number,
) {
  let body: string | undefined;
  try {
    body = await readBody(req);
  } catch {
    // The client went away while sending; there is nobody to answer.
    return;
  }
  if (body === undefined) {
    send(res, 413, errorBody(ErrorCode.payloadTooLarge, 'Request body too large'), { connection: 'close' });
    return;
  }
  const { record, action } = handler.handle({
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    headers: req.headers,
    body,
  });
  if (latencyMs > 0)
    await execute({ kind: 'delay', ms: latencyMs, next: () => action }, record, res, closing);
  else await execute(action, record, res, closing);
}

async function execute(
  action: SimAction,
  record: RecordedRequest,
  res: ServerResponse,
  closing: AbortSignal,
) {
  // The simulator's own work runs whether or not the client is still there: a stored key must reach the attachment.
  if (action.kind === 'await') {
    await execute(await action.next(), record, res, closing);
    return;
  }
  if (clientGone(res)) return;
  switch (action.kind) {
    case 'respond':
      record.status = action.status;
      send(res, action.status, action.body, { ...rateLimitHeaders(record), ...action.headers });
      return;
    case 'reset':
      reset(res.socket);
      return;
    case 'truncate': {
      const bytes = Buffer.from(action.body);
      record.status = action.status;
      res.writeHead(action.status, { ...action.headers, 'content-length': String(bytes.length) });
      // Content-Length promises the whole body, so the client's body read fails rather than parsing a prefix.
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.socket?.destroy());
      return;
    }
    case 'delay':
      try {
        await sleep(action.ms, undefined, { signal: closing });
      } catch {
        return;
      }
      // A client that gave up during the delay gets nothing, and a not-yet-persisted rotation never happens.
      if (clientGone(res)) return;
      await execute(action.next(), record, res, closing);
      return;
  }
}

/**
 * Cloudflare's rate-limit headers, in the form its API documents (the IETF draft's structured fields): the policy,
 * and what is left of it with the seconds until the window resets.
 */
function rateLimitHeaders(record: RecordedRequest): Record<string, string> {
  const limit = record.rateLimit;
  if (!limit) return {};
  return {
    ratelimit: `"default";r=${limit.remaining};t=${limit.resetSeconds}`,
    'ratelimit-policy': `"default";q=${limit.limit};w=${limit.windowSeconds}`,
  };
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    ...headers,
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(body);
}

function errorBody(code: number, message: string): string {
  return JSON.stringify(errorEnvelope([{ code, message }]));
}

function clientGone(res: ServerResponse): boolean {
  return res.destroyed || !res.socket || res.socket.destroyed;
}

// An RST, not a FIN: a fetch client sees ECONNRESET, as when a proxy or the edge drops the connection.
function reset(socket: Socket | null) {
  if (!socket) return;
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
