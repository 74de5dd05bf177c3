// The MCP App demo: the test host's browser page, against the built server in sandbox mode. Open the printed
// address, press the button (the assistant's call), then answer in the panel: Rotate now, Reveal key, Cancel.
// Usage: pnpm demo --app [--port N]   (Ctrl+C stops it)
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestHost } from '../test-host/host-server.mjs';

/** Starts the host for a person to click through; resolves when it has stopped. */
export async function demoApp({ cli, theme }) {
  const pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-demo-app-'));
  const host = await startTestHost({
    theme,
    server: { command: process.execPath, args: [cli, '--sandbox'], env: { IPSEC_PSK_SANDBOX_DIR: pskDir } },
  });
  console.log(`Keys and the audit log go to ${pskDir} (kept after the demo).`);
  console.log(`\nOpen ${host.url} in a browser on this machine.`);
  console.log('Press the button to play the assistant; the panel then asks you. Ctrl+C stops the demo.\n');
  await new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await host.close();
}
