import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Stream } from 'node:stream';

/** Accumulates a stream's text and lets a test await a pattern instead of sleeping. */
export class Captured {
  text = '';
  private ended = false;
  private readonly checks = new Set<() => void>();

  constructor(stream: Stream | null | undefined) {
    if (!stream) throw new Error('stream was not piped');
    stream.on('data', (chunk: Buffer | string) => {
      this.text += chunk.toString();
      for (const check of this.checks) check();
    });
    stream.on('end', () => {
      this.ended = true;
      for (const check of this.checks) check();
    });
  }

  waitFor(pattern: RegExp): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(this.text);
        if (match) {
          this.checks.delete(check);
          resolve(match);
        } else if (this.ended) {
          this.checks.delete(check);
          reject(new Error(`stream ended without ${pattern}; it held: ${this.text}`));
        }
      };
      this.checks.add(check);
      check();
    });
  }
}

/** Resolves with the exit code once the child has exited and its streams closed. */
export function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
}

/**
 * Whether a process (not necessarily our child) still runs. An orphan that exited may linger as a zombie until
 * init reaps it; that counts as gone.
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
