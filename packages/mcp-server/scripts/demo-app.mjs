// The MCP App demo: the test host's browser page, against the built server in sandbox mode. Open the printed
// address, press the button (the assistant's call), then answer in the panel: Rotate now, Reveal key, Cancel.
// Usage: pnpm demo --app [--port N] [--dark]   (Ctrl+C stops it and exits 0)
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestHost } from '../test-host/host-server.mjs';

/** Starts the host for a person to click through; resolves when it has stopped. */
export async function demoApp({ cli, theme, port = 0 }) {
  const pskDir = await mkdtemp(join(tmpdir(), 'ipsec-psk-demo-app-'));
  const host = await startTestHost({
    theme,
    port,
    server: { command: process.execPath, args: [cli, '--sandbox'], env: { IPSEC_PSK_SANDBOX_DIR: pskDir } },
  });
  const pagePort = new URL(host.url).port;
  const framePort = new URL(host.sandboxUrl).port;
  console.log(`Keys and the audit log go to ${pskDir} (kept after the demo).`);
  console.log(`\nOpen ${host.url} in a browser on this machine.`);
  console.log(`The panel itself is served from ${host.sandboxUrl} (another origin, as MCP Apps require).`);
  console.log(
    `From another machine, forward both ports: ssh -L ${pagePort}:127.0.0.1:${pagePort} -L ${framePort}:localhost:${framePort} <this host>`,
  );
  console.log('Press a button to play the assistant; the panel then asks you. Ctrl+C stops the demo.\n');
  // Ctrl-C in a terminal signals the whole foreground group, and pnpm passes the signal on once more: every
  // SIGINT must be caught (a second one arriving after a `once` handler would kill the demo mid-stop).
  await new Promise((resolve) => {
    process.on('SIGINT', resolve);
    process.on('SIGTERM', resolve);
  });
  await host.close();
  console.log('Stopped.');
}
