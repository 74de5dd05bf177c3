import type { Logger } from './logger.js';

/** Shuts the server down the careful way: questions withdrawn, calls already sent finished, keys stored. */
export type Stop = (why: string, exitCode?: number) => Promise<void>;

/**
 * What stops a server process, in either transport: the usual signals, and any fault elsewhere — which must not
 * take a key in flight with it, so it is logged (by name only: a message may quote what failed) and turned into
 * the careful shutdown.
 */
export function stopOnSignalsAndFaults(logger: Logger, stop: Stop): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void stop(`received ${signal}`));
  }
  process.on('uncaughtException', (error) => {
    logger.error(`internal error (${error.name})`);
    void stop('an internal error', 1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.error(`internal error (${reason instanceof Error ? reason.name : typeof reason})`);
    void stop('an internal error', 1);
  });
}
