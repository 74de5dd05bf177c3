import { randomUUID } from 'node:crypto';
import type { Logger } from '@ipsec-psk/rotation';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { IpsecPskServer } from '../server.js';

/** One MCP session: its own server instance (confirmations, tokens), bound to the principal that opened it. */
export interface Session {
  id: string;
  /** Who opened it; every later request must be the same principal. Undefined without authentication. */
  principal: string | undefined;
  transport: StreamableHTTPServerTransport;
  instance: IpsecPskServer;
  lastSeen: number;
}

/** What the registry needs. */
export interface SessionsOptions {
  max: number;
  idleMs: number;
  /** A server instance acting for `principal`. */
  create(principal: string | undefined): IpsecPskServer;
  logger: Logger;
  now?: () => number;
}

/**
 * The open sessions. Each has its own McpServer (the SDK serves one connection per server), so a confirmation issued
 * in one session cannot be redeemed in another, and each session belongs to one principal. The key directory, its
 * locks and the audit log are shared through the file system, as between stdio processes. Sessions are capped, and
 * closed once idle unless a call is still running.
 */
export class Sessions {
  private readonly open = new Map<string, Session>();
  private pending = 0;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: SessionsOptions) {
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => void this.sweep(), Math.min(60_000, options.idleMs));
    this.sweeper.unref();
  }

  get size(): number {
    return this.open.size;
  }

  /** Calls running in every session. */
  inFlight(): number {
    let count = 0;
    for (const session of this.open.values()) count += session.instance.inFlight();
    return count;
  }

  /** The session with this id, if it is open and belongs to `principal`; another principal's is not found. */
  find(id: string, principal: string | undefined): Session | undefined {
    const session = this.open.get(id);
    if (!session || session.principal !== principal) return undefined;
    session.lastSeen = this.now();
    return session;
  }

  /**
   * A new session's transport, ready to handle its initialize request, and what to call once that request was
   * handled (an initialize that failed leaves no server behind); undefined when the cap is reached.
   */
  async start(
    principal: string | undefined,
  ): Promise<{ transport: StreamableHTTPServerTransport; initialized(): Promise<void> } | undefined> {
    if (this.open.size + this.pending >= this.options.max) return undefined;
    this.pending += 1;
    const instance = this.options.create(principal);
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        this.open.set(id, { id, principal, transport, instance, lastSeen: this.now() });
      },
      onsessionclosed: (id) => void this.close(id),
    });
    transport.onclose = () => {
      if (transport.sessionId) this.open.delete(transport.sessionId);
    };
    await instance.server.connect(transport);
    return {
      transport,
      initialized: async () => {
        this.pending -= 1;
        if (!transport.sessionId || !this.open.has(transport.sessionId))
          await instance.server.close().catch(() => {});
      },
    };
  }

  /** Closes a session: a question still waiting for its user is withdrawn; a call already sent still finishes. */
  async close(id: string): Promise<void> {
    const session = this.open.get(id);
    if (!session) return;
    this.open.delete(id);
    await session.instance.server.close().catch(() => {});
    await session.instance.idle();
  }

  /** Closes sessions idle for longer than the limit, except those with a call running. */
  async sweep(): Promise<void> {
    const cutoff = this.now() - this.options.idleMs;
    for (const session of [...this.open.values()]) {
      if (session.lastSeen > cutoff || session.instance.inFlight() > 0) continue;
      this.options.logger.info(
        `closing session ${session.id.slice(0, 8)}… after ${this.options.idleMs / 60_000} min idle`,
      );
      await this.close(session.id);
    }
  }

  /** Closes every session and waits for every call already sent, so each key reaches its file. */
  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    const sessions = [...this.open.values()];
    this.open.clear();
    await Promise.all(sessions.map((session) => session.instance.server.close().catch(() => {})));
    await Promise.all(sessions.map((session) => session.instance.idle()));
  }
}
