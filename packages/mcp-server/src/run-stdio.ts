import type { Logger } from '@ipsec-psk/rotation';
import { StdioServerTransport, serveStdio } from '@modelcontextprotocol/server/stdio';
import { type CreateServerOptions, createServerFactory } from './server.js';
import { carefulStop, stopOnSignalsAndFaults } from './shutdown.js';

/** What the binary hands the stdio mode. */
export interface RunStdioOptions {
  server: CreateServerOptions;
  logger: Logger;
  /** Runs once the connection is down and every call already sent has finished (the sandbox stops). */
  onStopped(): Promise<void>;
}

// The client holds the other ends of stdout and stderr. When it dies, writing there fails with EPIPE, and an
// unhandled stream error would kill this process with a key between Cloudflare and its file.
function survive(stream: NodeJS.WriteStream, onBroken: () => void): void {
  stream.on('error', onBroken);
}

// SDK messages about the connection can quote what the client sent (a parser quoting a line); only known,
// harmless reasons are logged in words.
function describeTransportError(error: Error): string {
  const tooLarge = /exceeded maximum size of (\d+) bytes/.exec(error.message);
  if (tooLarge) return `the client sent a message larger than ${tooLarge[1]} bytes`;
  return `the connection reported ${error.name}`;
}

/** The stdio transport, telling us when it closed, whatever closed it (stdin's end, an oversized message). */
class WatchedStdio extends StdioServerTransport {
  constructor(private readonly closed: () => void) {
    super();
  }

  override async close(): Promise<void> {
    await super.close();
    this.closed();
  }
}

/**
 * `ipsec-psk-mcp` on stdio: one connection, in whichever MCP era the client opens it (2025-11-25 with `initialize`,
 * 2026-07-28 with `server/discover` or an enveloped request), served by the SDK's `serveStdio`.
 */
export async function runStdio(options: RunStdioOptions): Promise<void> {
  const { logger } = options;
  const factory = createServerFactory(options.server);
  let closedByClient = false;
  const transport = new WatchedStdio(() => {
    closedByClient = true;
    void stop('the connection to the client closed', stopping() ? 0 : 1);
  });
  const handle = serveStdio(() => factory.create(), {
    transport,
    onerror: (error) => logger.error(describeTransportError(error)),
  });
  const { stop, stopping } = carefulStop(logger, factory.inFlight, async () => {
    // Closing first ends any question still waiting for the user (nothing is sent then); a rotation already sent
    // does not need the client and must still reach its file, so wait for it before exiting.
    if (!closedByClient) await handle.close().catch(() => {});
    await factory.idle();
    await options.onStopped();
  });
  survive(process.stdout, () => void stop('the client closed its end of stdout'));
  survive(process.stderr, () => {});
  stopOnSignalsAndFaults(logger, stop);
  process.stdin.on('end', () => void stop('the client closed stdin'));
  process.stdin.on('error', () => void stop('stdin failed'));
}
