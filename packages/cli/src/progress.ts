/** A progress reporter for the terminal, ended once the work is done. */
export interface ProgressLine {
  (done: number, total: number, message: string): void;
  end(): void;
}

/**
 * Progress of a long rotation on stderr: on a terminal, one line rewritten in place (a 5000-tunnel run is fifty
 * batches, not fifty lines); elsewhere (a log file, a scheduled job), one line per report.
 */
export function progressLine(stream: NodeJS.WriteStream): ProgressLine {
  let open = false;
  const report = (done: number, total: number, message: string) => {
    const text = `${message} (${done} of ${total})`;
    if (stream.isTTY) {
      stream.write(`\r\x1b[K${text}`);
      open = true;
    } else {
      stream.write(`${text}\n`);
    }
  };
  return Object.assign(report, {
    end() {
      if (open) stream.write('\n');
      open = false;
    },
  });
}
