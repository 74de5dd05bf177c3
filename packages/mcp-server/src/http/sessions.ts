import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@ipsec-psk/rotation';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import type { McpServer } from '@modelcontextprotocol/server';

/** One MCP 2025-11-25 session: its own server instance, bound to the principal that opened it. */
export interface Session {
  id: string;
  /** Who opened it; every later request must be the same principal. Undefined without authentication. */
  principal: string | undefined;
  transport: NodeStreamableHTTPServerTransport;
  server: McpServer;
  lastSeen: number;
  /** Requests of this session still being answered (a call waiting for its user or for Cloudflare). */
  active: number;
}

/** What the registry needs. */
export interface SessionsOptions {
  max: number;
  /** Sessions one principal may hold. */
  maxPerPrincipal: number;
  idleMs: number;
  /** A server instance acting for `principal`. */
  create(principal: string | undefined): McpServer;
  logger: Logger;
  now?: () => number;
}

/**
 * The open MCP 2025-11-25 sessions (MCP 2026-07-28 requests have none). Each has its own McpServer (the SDK serves
 * one connection per server) and belongs to one principal; confirmations, the key directory, its locks and the audit
 * log live on disk and are shared. Sessions are capped, and closed once idle unless a request is still running.
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

  /** The session with this id, if it is open and belongs to `principal`; another principal's is not found. */
  find(id: string, principal: string | undefined): Session | undefined {
    const session = this.open.get(id);
    if (!session || session.principal !== principal) return undefined;
    session.lastSeen = this.now();
    return session;
  }

  /**
   * Hands a request to its session's transport. A POST (a call) counts as running until its response ends; the
   * standalone GET stream a client keeps open for notifications is no call, and keeps no session alive.
   */
  async handle(session: Session, req: IncomingMessage, res: ServerResponse, body?: unknown): Promise<void> {
    if (req.method === 'POST') {
      session.active += 1;
      res.once('close', () => {
        session.active -= 1;
        session.lastSeen = this.now();
      });
    }
    await session.transport.handleRequest(req, res, body);
  }

  /**
   * Opens a session for an initialize request and answers it. Refused when the principal holds its share already
   * (`principal_full`), or when every slot is taken and none can be freed (`full`): a slot is freed by closing the
   * longest-idle session of the principal holding the most, when that is more than this one would hold. So one
   * principal cannot keep the others out. An initialize that failed leaves no server behind.
   */
  async start(
    principal: string | undefined,
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
  ): Promise<'started' | 'full' | 'principal_full'> {
    const mine = this.countOf(principal);
    if (mine >= this.options.maxPerPrincipal) return 'principal_full';
    if (this.open.size + this.pending >= this.options.max && !(await this.evictFor(mine))) return 'full';
    this.pending += 1;
    const server = this.options.create(principal);
    const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        this.open.set(id, { id, principal, transport, server, lastSeen: this.now(), active: 0 });
      },
      onsessionclosed: (id) => void this.close(id),
    });
    transport.onclose = () => {
      if (transport.sessionId) this.open.delete(transport.sessionId);
    };
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    } finally {
      this.pending -= 1;
      if (!transport.sessionId || !this.open.has(transport.sessionId)) await server.close().catch(() => {});
    }
    return 'started';
  }

  private countOf(principal: string | undefined): number {
    let count = 0;
    for (const session of this.open.values()) if (session.principal === principal) count += 1;
    return count;
  }

  /** Frees a slot from the principal holding the most, if it holds more than `requester + 1` would; whether it did. */
  private async evictFor(requester: number): Promise<boolean> {
    const held = new Map<string | undefined, Session[]>();
    for (const session of this.open.values()) {
      held.set(session.principal, [...(held.get(session.principal) ?? []), session]);
    }
    const [, largest = []] = [...held].sort((a, b) => b[1].length - a[1].length)[0] ?? [];
    if (largest.length <= requester + 1) return false;
    const idle = largest.filter((session) => session.active === 0).sort((a, b) => a.lastSeen - b.lastSeen)[0];
    if (!idle) return false;
    this.options.logger.info(`closing session ${idle.id.slice(0, 8)}… to make room for another user`);
    await this.close(idle.id);
    return true;
  }

  /** Closes a session: a question still waiting for its user is withdrawn; a call already sent still finishes. */
  async close(id: string): Promise<void> {
    const session = this.open.get(id);
    if (!session) return;
    this.open.delete(id);
    await session.server.close().catch(() => {});
  }

  /** Closes sessions idle for longer than the limit, except those with a request running. */
  async sweep(): Promise<void> {
    const cutoff = this.now() - this.options.idleMs;
    for (const session of [...this.open.values()]) {
      if (session.lastSeen > cutoff || session.active > 0) continue;
      this.options.logger.info(
        `closing session ${session.id.slice(0, 8)}… after ${this.options.idleMs / 60_000} min idle`,
      );
      await this.close(session.id);
    }
  }

  /** Closes every session (questions still waiting are withdrawn). */
  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    const sessions = [...this.open.values()];
    this.open.clear();
    await Promise.all(sessions.map((session) => session.server.close().catch(() => {})));
  }
}
