import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_TUNNEL_ID } from '@ipsec-psk/cloudflare-sim';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectToolContract, type ListedTool } from './test-support/tool-contract.js';

// The MCP Inspector's CLI mode is a third-party client: if it can list and call the tool, so can the assistants
// that share its SDK. It drives the compiled binary, built by turbo before this test.
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const INSPECTOR = fileURLToPath(new URL('../node_modules/.bin/mcp-inspector', import.meta.url));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ipsec-psk-inspector-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `mcp-inspector --cli` against the sandboxed server and returns the parsed `result` of its JSON output. */
async function inspect(args: string[]): Promise<Record<string, unknown>> {
  const child = spawn(
    INSPECTOR,
    [
      '--cli',
      process.execPath,
      CLI,
      '--sandbox',
      '-e',
      `IPSEC_PSK_SANDBOX_DIR=${dir}`,
      '--format',
      'json',
      ...args,
    ],
    {
      // HOME in the temp dir keeps anything the inspector stores (catalog, client config) out of the real one.
      env: { PATH: process.env.PATH ?? '', HOME: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  expect(code, `inspector failed; stderr: ${stderr}`).toBe(0);
  const parsed = JSON.parse(stdout) as { result?: Record<string, unknown> };
  expect(parsed.result, stdout).toBeDefined();
  return parsed.result as Record<string, unknown>;
}

describe('MCP Inspector CLI against the built binary', { timeout: 60_000 }, () => {
  it('lists the tools by the contract', async () => {
    const result = await inspect(['--method', 'tools/list']);
    expectToolContract(result.tools as ListedTool[]);
  });

  it('runs a validate-only call (the CLI sends validate_only=true as a boolean)', async () => {
    const result = await inspect([
      '--method',
      'tools/call',
      '--tool-name',
      'generate_ipsec_psk',
      '--tool-arg',
      `ipsec_tunnel_id=${DEMO_TUNNEL_ID}`,
      '--tool-arg',
      'validate_only=true',
    ]);
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ status: 'validated', sandbox: true });
    // Validation persists nothing: at most the audit log.
    expect((await readdir(dir)).filter((name) => name !== 'audit.jsonl' && !name.startsWith('.'))).toEqual(
      [],
    );
  });
});
