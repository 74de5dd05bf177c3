import { createInterface } from 'node:readline';
import type { ConfirmAnswer, ConfirmCallback } from '@ipsec-psk/rotation';

/**
 * Asks on the terminal: the question, then "[y/N]". Only "y" or "yes" confirms; anything else declines, and Ctrl-C
 * or end of input cancels. With `yes` (for scheduled jobs), the question is still printed, and answered yes.
 */
export function terminalQuestion(options: {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  yes: boolean;
  prompt: string;
}): ConfirmCallback {
  return (question): Promise<ConfirmAnswer> => {
    options.output.write(`${question}\n\n`);
    if (options.yes) {
      options.output.write(`${options.prompt} yes (--yes)\n`);
      return Promise.resolve('accept');
    }
    return new Promise((resolve) => {
      const lines = createInterface({ input: options.input, output: options.output, terminal: true });
      let answered = false;
      lines.question(`${options.prompt} [y/N] `, (reply) => {
        answered = true;
        lines.close();
        resolve(/^\s*y(es)?\s*$/i.test(reply) ? 'accept' : 'decline');
      });
      lines.on('SIGINT', () => lines.close());
      lines.on('close', () => {
        if (!answered) {
          options.output.write('\n');
          resolve('cancel');
        }
      });
    });
  };
}
