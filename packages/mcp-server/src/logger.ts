/** Where the server's diagnostics go. Never pass a key, a credential or a confirmation token to it. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Logs to stderr: on stdio, stdout belongs to the protocol. */
export function stderrLogger(stream: NodeJS.WritableStream = process.stderr): Logger {
  const write = (level: string, message: string) => {
    // A log line is never worth the process: a closed or broken stderr (the client died) is skipped.
    if ((stream as NodeJS.WriteStream).destroyed) return;
    try {
      stream.write(`ipsec-psk-mcp ${level}: ${message}\n`);
    } catch {
      // Nothing left to tell.
    }
  };
  return {
    info: (message) => write('info', message),
    warn: (message) => write('warn', message),
    error: (message) => write('error', message),
  };
}

/** A logger that drops everything, for tests and embedders that log elsewhere. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
