/** Where diagnostics go. Never pass a key, a credential or a confirmation token to it. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** How `stderrLogger` writes. */
export interface StderrLoggerOptions {
  /** Default `process.stderr`. */
  stream?: NodeJS.WritableStream;
  /** Whether info lines are written; default true (a terminal command turns them off). */
  info?: boolean;
}

/**
 * Logs to stderr, each line prefixed with the program's name: on stdio, stdout belongs to the protocol, and in a
 * terminal to the result.
 */
export function stderrLogger(program: string, options: StderrLoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const write = (level: string, message: string) => {
    // A log line is never worth the process: a closed or broken stderr (the client died) is skipped.
    if ((stream as NodeJS.WriteStream).destroyed) return;
    try {
      stream.write(`${program} ${level}: ${message}\n`);
    } catch {
      // Nothing left to tell.
    }
  };
  return {
    info: options.info === false ? () => {} : (message) => write('info', message),
    warn: (message) => write('warn', message),
    error: (message) => write('error', message),
  };
}

/** A logger that drops everything, for tests and embedders that log elsewhere. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
