import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';

/** How often a waiting client hears from us: well inside the SDK's 60 s default request timeout. */
export const PROGRESS_INTERVAL_MS = 15_000;

/**
 * While a call waits for a human (or for Cloudflare), tells a client that asked for progress that the call is
 * alive, so a client that resets its timeout on progress does not give up while the user reads the question.
 * Returns the function that stops it.
 */
export function keepAlive(
  extra: RequestHandlerExtra<ServerRequest, ServerNotification>,
  intervalMs: number,
): () => void {
  const progressToken = extra._meta?.progressToken;
  if (progressToken === undefined) return () => {};
  let progress = 0;
  const timer = setInterval(() => {
    progress += 1;
    extra
      .sendNotification({
        method: 'notifications/progress',
        params: {
          progressToken,
          progress,
          message: 'Still working: waiting for the user or for Cloudflare.',
        },
      })
      .catch(() => {});
  }, intervalMs);
  // A keep-alive must never be what keeps the process running.
  timer.unref();
  return () => clearInterval(timer);
}
