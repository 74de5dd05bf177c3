import { execFile } from 'node:child_process';

/**
 * Runs `node <args>` in a fresh process and resolves to the JSON it printed last on stdout.
 * A timeout keeps a hung child from eating the run's time budget; a crash rejects with its stderr.
 */
export function runNodeJson(args, { timeoutMs = 60_000, cwd } = {}) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { timeout: timeoutMs, cwd, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`node ${args.join(' ')} failed: ${error.message}\n${stderr}`));
          return;
        }
        const lines = stdout.trim().split('\n');
        try {
          resolve(JSON.parse(lines.at(-1)));
        } catch {
          reject(new Error(`node ${args.join(' ')} printed no JSON:\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}
