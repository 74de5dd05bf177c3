import type { Logger } from '@ipsec-psk/rotation';

/** Shuts the server down the careful way: questions withdrawn, calls already sent finished, keys stored. */
export type Stop = (why: string, exitCode?: number) => Promise<void>;

/**
 * The careful stop of a server process, run once whatever asks for it: says why and how many calls it waits for,
 * then `close` (which withdraws questions and waits for calls already sent, so their keys are stored), then exits.
 */
export function carefulStop(
  logger: Logger,
  inFlight: () => number,
  close: () => Promise<void>,
): { stop: Stop; stopping: () => boolean } {
  let stopping = false;
  const stop: Stop = async (why, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info(`stopping: ${why}`);
    const running = inFlight();
    if (running > 0) {
      logger.info(`waiting for ${running} call(s) in flight, so that any key already generated is stored`);
    }
    await close();
    process.exit(exitCode);
  };
  return { stop, stopping: () => stopping };
}

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
