import type { ServerContext } from '@modelcontextprotocol/server';

/** How often a waiting client hears from us: well inside the SDK's 60 s default request timeout. */
export const PROGRESS_INTERVAL_MS = 15_000;

/**
 * While a call waits for a human (or for Cloudflare), tells a client that asked for progress that the call is
 * alive, so a client that resets its timeout on progress does not give up while the user reads the question.
 * Returns the function that stops it.
 */
export function keepAlive(ctx: ServerContext, intervalMs: number): () => void {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  if (progressToken === undefined) return () => {};
  let progress = 0;
  const timer = setInterval(() => {
    progress += 1;
    ctx.mcpReq
      .notify({
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

/** Reports a long call's progress to a client that asked for it, and keeps it alive in between. */
export interface ProgressReporter {
  /** `done` of `total` units of work are finished. */
  report(done: number, total: number, message: string): void;
  stop(): void;
}

/**
 * Progress for a call that first waits (for a human) and then works through `total` units. MCP requires every
 * progress value to be larger than the last, so the wait counts as the first unit and each keep-alive moves
 * halfway to the next whole unit: the values only grow, and a whole unit is only ever reported when it is done.
 */
export function progressReporter(ctx: ServerContext, intervalMs: number): ProgressReporter {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  if (progressToken === undefined) return { report: () => {}, stop: () => {} };
  let value = 0;
  let total: number | undefined;
  const send = (message: string) =>
    ctx.mcpReq
      .notify({
        method: 'notifications/progress',
        params: { progressToken, progress: value, ...(total === undefined ? {} : { total }), message },
      })
      .catch(() => {});
  const timer = setInterval(() => {
    value += (Math.floor(value) + 1 - value) / 2;
    void send('Still working: waiting for the user or for Cloudflare.');
  }, intervalMs);
  timer.unref();
  return {
    report(done, units, message) {
      const next = done + 1;
      total = units + 1;
      value = next > value ? next : value + (Math.floor(value) + 1 - value) / 2;
      void send(message);
    },
    stop: () => clearInterval(timer),
  };
}
